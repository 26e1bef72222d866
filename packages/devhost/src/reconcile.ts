import { durableStatusUrl } from './cli/args';

/**
 * `npm start -- --reconcile`: a `missing` backfill over the whole source container, through the app's own API,
 * so whatever a crash or an outage left undone (no document, an older version's document, an absent size) is
 * run again. When a backfill is already running over the blobs (typically the one the crash interrupted, which
 * resumes with the host), the reconcile waits for it to end and starts then: it is never dropped.
 */
export interface ReconcileOptions {
  /** Pause between two looks at the running backfill (ms). */
  pollMs?: number;
  log?: (line: string) => void;
  error?: (line: string) => void;
}

interface Answer {
  id?: string;
  message?: string;
  statusUrl?: string;
  running?: { instanceId?: string };
}

const ENDED = new Set(['Completed', 'Failed', 'Terminated']);

/** Starts the reconcile, waiting out overlapping backfills; resolves with its instance id, or undefined on error. */
export async function reconcile(
  baseUrl: string,
  options: ReconcileOptions = {},
): Promise<string | undefined> {
  const pollMs = options.pollMs ?? 2000;
  const log = options.log ?? ((line) => console.log(line));
  const error = options.error ?? ((line) => console.error(line));
  try {
    for (;;) {
      const response = await fetch(`${baseUrl}/api/backfill`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ only: 'missing' }),
      });
      const body = (await response.json()) as Answer;
      if (response.status === 202) {
        log(
          `devhost: reconcile started: backfill ${body.id ?? '?'} (only missing) · ${body.statusUrl ?? ''}`,
        );
        return body.id;
      }
      const runningId = body.running?.instanceId;
      if (response.status !== 409 || runningId === undefined) {
        error(`devhost: reconcile not started (${response.status}): ${body.message ?? JSON.stringify(body)}`);
        return undefined;
      }
      const statusUrl = durableStatusUrl(baseUrl, runningId);
      log(`devhost: reconcile waits for backfill ${body.running?.instanceId ?? '?'} to end, then starts`);
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
        const status = (await (await fetch(statusUrl)).json()) as { runtimeStatus?: string };
        if (status.runtimeStatus === undefined || ENDED.has(status.runtimeStatus)) break;
      }
    }
  } catch (caught) {
    error(`devhost: reconcile not started: ${(caught as Error).message}`);
    return undefined;
  }
}
