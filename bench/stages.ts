/**
 * Per-stage single-core speeds on 1 MiB blocks: `node --import tsx bench/stages.ts [--json] [--time MS]`.
 */
import { benchStages, formatStageTable } from '../src/workers/stage-bench.js';

const args = process.argv.slice(2);
const timeAt = args.indexOf('--time');
const results = await benchStages({ ...(timeAt >= 0 ? { timeMs: Number(args[timeAt + 1]) } : {}) });
if (args.includes('--json')) console.log(JSON.stringify(results, null, 2));
else {
  console.log(`Node ${process.version}, OpenSSL ${process.versions.openssl}, one thread, 1 MiB blocks`);
  console.log('MiB of uncompressed bytes per second; compress/decompress rows show stored ÷ raw size\n');
  console.log('Wall clock (median of tinybench samples):');
  console.log(formatStageTable(results));
  console.log('\nPer CPU-second (immune to other processes on a shared machine):');
  console.log(formatStageTable(results, 'cpu'));
}
