/**
 * Child process of the backup benches (runBackupChild in backup-bench-util.ts): one library
 * backup() on the compiled dist/, in plain JS so no TypeScript loader runs in the measured process.
 *   node bench/backup-child.mjs '<backup() options as JSON>'
 * Prints { wallMs, cpuMs, stats }: wall and CPU around the call, pool start-up included.
 */
import { performance } from 'node:perf_hooks';

const { backup } = await import('../dist/index.js');
const options = JSON.parse(process.argv[2]);
const t = performance.now();
const c0 = process.cpuUsage();
const r = await backup(options);
const c = process.cpuUsage(c0);
const result = { wallMs: performance.now() - t, cpuMs: (c.user + c.system) / 1000, stats: r.stats };
process.stdout.write(JSON.stringify(result));
