/* eslint-disable no-undef, @typescript-eslint/no-require-imports -- a CommonJS trampoline */
// Runs a TypeScript worker entry from sources (tests, tsx): Node 20 applies execArgv's
// `--import tsx` to file-based workers only, and loads .ts through tsx's require hook.
require(process.argv[process.argv.length - 1]);
