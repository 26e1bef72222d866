import { isAlive, parentOf } from './services/processes';

/**
 * `npm start` runs npm → sh → this host. A SIGKILL of npm leaves sh waiting and this host running, holding the
 * ports, so the next `npm start` fails. Watches the launcher chain (parent and grandparent, read once at start)
 * and calls `onGone` when either has died. Where `/proc` is missing, only the parent is watched (via ppid).
 * @returns a function that stops watching.
 */
export function watchLauncher(onGone: () => void, intervalMs = 1_000): () => void {
  const parent = process.ppid;
  const grandparent = parentOf(parent);
  const timer = setInterval(() => {
    const parentGone = process.ppid !== parent || !isAlive(parent);
    const grandparentGone = grandparent !== undefined && !isAlive(grandparent);
    if (parentGone || grandparentGone) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
