#!/usr/bin/env node
import './v8-flags.js'; // first: V8 flags before the CLI does any work
import { createRequire } from 'node:module';
import type * as Commander from 'commander';
import { DmError } from '../index.js';
import { exitWhenFlushed, failAndExit } from './output.js';
import { registerInspect } from './commands/inspect.js';
import { registerConvert } from './commands/convert.js';
import { registerDemo } from './commands/demo.js';
import { registerFixtures } from './commands/fixtures.js';
import { registerBackup } from './commands/backup.js';
import { registerRestore } from './commands/restore.js';
import { registerVerify } from './commands/verify.js';
import { registerPoints } from './commands/points.js';
import { registerBench } from './commands/bench.js';
import { prestartFor } from './prestart.js';

prestartFor(process.argv);

// require() rather than `import`: an ESM import of a CommonJS package runs Node's export lexer over
// its source, most of what `datamover --version` spent beyond Node's own start (docs/decisions.md).
const { Command, CommanderError } = createRequire(import.meta.url)('commander') as typeof Commander;

const program = new Command('datamover')
  .description('High-throughput backup data mover for VM disks (VHDX, NTFS-aware)')
  .version('0.1.0')
  .configureOutput({ outputError: () => {} })
  .exitOverride();

registerInspect(program);
registerConvert(program);
registerDemo(program);
registerFixtures(program);
registerBackup(program);
registerRestore(program);
registerVerify(program);
registerPoints(program);
registerBench(program);

try {
  await program.parseAsync(process.argv);
  exitWhenFlushed();
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) process.exit(0);
    failAndExit(new DmError('DM_ERR_ARG_INVALID', err.message.replace(/^error: /, '')));
  }
  failAndExit(err);
}
