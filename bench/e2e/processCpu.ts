import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds (user + system) of this process and of every live descendant (Azurite runs as a child). */
export interface CpuSnapshot {
  selfSeconds: number;
  /** By pid, so a snapshot pair only counts processes alive at both ends. */
  descendants: Map<number, number>;
}

/** Linux clock ticks per second for /proc/<pid>/stat (USER_HZ is 100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

function readStat(pid: string): { ppid: number; cpuSeconds: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ppid) && Number.isFinite(ticks)
      ? { ppid, cpuSeconds: ticks / TICKS_PER_SECOND }
      : undefined;
  } catch {
    return undefined;
  }
}

function descendantsCpu(): Map<number, number> {
  const byParent = new Map<number, Array<{ pid: number; cpuSeconds: number }>>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return new Map();
  }
  for (const name of entries) {
    const stat = readStat(name);
    if (stat === undefined) continue;
    const siblings = byParent.get(stat.ppid) ?? [];
    siblings.push({ pid: Number(name), cpuSeconds: stat.cpuSeconds });
    byParent.set(stat.ppid, siblings);
  }
  const result = new Map<number, number>();
  const queue = [process.pid];
  while (queue.length > 0) {
    const parent = queue.pop() as number;
    for (const child of byParent.get(parent) ?? []) {
      result.set(child.pid, child.cpuSeconds);
      queue.push(child.pid);
    }
  }
  return result;
}

export function cpuSnapshot(): CpuSnapshot {
  const usage = process.cpuUsage();
  return { selfSeconds: (usage.user + usage.system) / 1e6, descendants: descendantsCpu() };
}

/** CPU spent between two snapshots: this process, and descendants present in both (0 where /proc is absent). */
export function cpuBetween(
  start: CpuSnapshot,
  end: CpuSnapshot,
): { selfSeconds: number; descendantsSeconds: number } {
  let descendantsSeconds = 0;
  for (const [pid, seconds] of end.descendants) {
    const before = start.descendants.get(pid);
    if (before !== undefined) descendantsSeconds += seconds - before;
  }
  return { selfSeconds: end.selfSeconds - start.selfSeconds, descendantsSeconds };
}
