/** setTimeout caps delays at 2^31-1 ms (~24.8 days); durable timers may be longer. */
const MAX_TIMEOUT_MS = 2_147_483_647;

export interface ScheduledTimer {
  cancel(): void;
}

/** Calls `fire` at `due` (epoch ms), waiting in steps when the delay exceeds setTimeout's limit. Never keeps the process alive. */
export function scheduleAt(due: number, fire: () => void): ScheduledTimer {
  let handle: NodeJS.Timeout | undefined;
  const wait = (): void => {
    const delay = Math.min(Math.max(0, due - Date.now()), MAX_TIMEOUT_MS);
    handle = setTimeout(() => (Date.now() < due ? wait() : fire()), delay);
    handle.unref();
  };
  wait();
  return { cancel: () => clearTimeout(handle) };
}
