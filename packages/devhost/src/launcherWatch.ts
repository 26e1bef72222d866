import { readFileSync } from 'node:fs';

/** The parent pid of `pid` from `/proc/{pid}/stat` (Linux), or undefined where there is no such file. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 4 (ppid) follows the command name, which is in parentheses and may itself contain spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 1 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

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
    const parentGone = process.ppid !== parent || !alive(parent);
    const grandparentGone = grandparent !== undefined && !alive(grandparent);
    if (parentGone || grandparentGone) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
