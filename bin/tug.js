#!/usr/bin/env node
// A signal while Node is still loading the CLI exits 130 with a message, as one at any later
// moment does, rather than killing tug by the default action. The CLI takes over as its first
// instruction (src/util/signals.ts removes this handler, found under the symbol).
const early = (signal) => {
  process.stderr.write(`\n${signal === 'SIGINT' ? 'Interrupted' : 'Terminated'} while starting (${signal}): exiting\n`);
  process.exit(130);
};
globalThis[Symbol.for('tug.earlySignalHandler')] = early;
process.on('SIGINT', early);
process.on('SIGTERM', early);
await import('../dist/tug.mjs');
