/**
 * Child process of the backup benches (runBackupChild in backup-bench-util.ts): one library
 * backup() on the compiled dist/, in plain JS so no TypeScript loader runs in the measured process.
 *   node bench/backup-child.mjs '<backup() options as JSON>' [--default-v8]
 * Prints { wallMs, cpuMs, stats }: wall and CPU around the call, pool start-up included.
 */
import { performance } from 'node:perf_hooks';

const { backup, tuneProcessForBackups } = await import('../dist/index.js');
// As the CLI runs backups (core/v8-tuning.ts); --default-v8 measures V8's defaults instead.
if (!process.argv.includes('--default-v8')) tuneProcessForBackups();
const options = JSON.parse(process.argv[2]);
const t = performance.now();
const c0 = process.cpuUsage();
const r = await backup(options);
const c = process.cpuUsage(c0);
const result = { wallMs: performance.now() - t, cpuMs: (c.user + c.system) / 1000, stats: r.stats };
process.stdout.write(JSON.stringify(result));
