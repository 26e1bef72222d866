import { progressBar } from './format';

/** The backfill's custom status (the app's `BackfillProgress`), as the Durable status endpoint shows it. */
export interface BackfillCounters {
  listed: number;
  started: number;
  skipped: number;
  completed: number;
  failed: number;
  /** Images waiting for their upload's run to write the sizes (absent from older backfills' status). */
  waiting?: number;
}

function isCounters(value: unknown): value is BackfillCounters {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['listed', 'started', 'skipped', 'completed', 'failed'].every(
    (key) => typeof record[key] === 'number',
  );
}

/** The counters of a status answer: the output once ended, the custom status while running. */
export function countersOf(status: {
  customStatus?: unknown;
  output?: unknown;
}): BackfillCounters | undefined {
  if (isCounters(status.output)) return status.output;
  return isCounters(status.customStatus) ? status.customStatus : undefined;
}

/**
 * One progress line. Images are "decided" when skipped, completed or failed; the total is what the listing has
 * returned so far (it grows page by page), so the bar is against what is known.
 */
export function progressLine(counters: BackfillCounters, tty: boolean): string {
  const decided = counters.skipped + counters.completed + counters.failed;
  const running = counters.started - counters.completed - counters.failed;
  const text =
    `${decided}/${counters.listed} listed images done · ${counters.started} started (${running} running) · ` +
    `${counters.skipped} skipped · ${counters.completed} completed · ${counters.failed} failed` +
    (counters.waiting ? ` · ${counters.waiting} waiting for their upload's run` : '');
  return tty ? `${progressBar(decided, counters.listed)} ${text}` : text;
}
