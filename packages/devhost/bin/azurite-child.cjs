'use strict';
/**
 * Azurite's entry point run under a watch on its parent. The local host spawns this file (not Azurite's own)
 * with an IPC channel; when the channel closes because the host exited (even by SIGKILL), Azurite shuts down
 * as on SIGTERM (closing its servers and saving its metadata), so no Azurite outlives its host and holds its
 * ports. Node has no PR_SET_PDEATHSIG; a closing IPC pipe is the parent-death signal it gives on every OS.
 * The host starts it in a process group of its own (`detached`), so Ctrl-C in a terminal, which signals the
 * whole foreground group, reaches the host alone: the host stops its work first, then sends SIGTERM here,
 * and Azurite closes and saves its metadata before this process exits.
 * Plain CommonJS so the same file serves the compiled host and the tests that run the sources.
 */
const path = require('node:path');

const GRACE_MS = 5000;

let stopping = false;
const markStopping = () => {
  stopping = true;
};
process.once('SIGTERM', markStopping);
process.once('SIGINT', markStopping);
process.once('disconnect', () => {
  // Azurite's own SIGTERM handler closes the servers; then the event loop drains.
  if (!stopping) process.emit('SIGTERM', 'SIGTERM');
  setTimeout(() => process.exit(0), GRACE_MS).unref();
});
// The channel only watches the parent: it must not keep this process alive once Azurite has closed.
if (process.channel) process.channel.unref();

// Azurite reads its options from process.argv, which this process was given unchanged.
require(path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js'));
