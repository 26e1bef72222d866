import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { OrchestrationRuntimeStatus } from 'durable-functions';
import type { CheckCode } from '../../domain/backfill';
import { mapBounded } from '../../domain/boundedMap';
import { findInstanceStatus } from '../../triggers/instanceStatus';

/** Where one started run is: still working, or ended for the backfill's purpose. */
export type RunState = 'running' | 'completed' | 'failed';

export interface CheckRunsInput {
  instanceIds: string[];
}

/** One `CheckCode` per input id, in input order: `r` running, `c` completed, `f` failed. */
export interface CheckRunsResult {
  codes: string;
}

/** Status reads at once: I/O only, as for the starts. */
export const CHECK_CONCURRENCY = 32;

const CODES: Record<RunState, CheckCode> = { running: 'r', completed: 'c', failed: 'f' };

/** Stages a run publishes once its document is written (src/orchestrators/resizeImageOrchestrator.ts). */
const WRITTEN_STAGES: ReadonlySet<unknown> = new Set(['done', 'cleanup-pending', 'waiting-to-redrive']);

const FAILED_DOCUMENT_STATUSES: ReadonlySet<string> = new Set(['failed', 'partial']);

function doneStatus(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { stage, status } = value as { stage?: unknown; status?: unknown };
  if (stage === 'waiting-to-redrive') return 'partial';
  return WRITTEN_STAGES.has(stage) && typeof status === 'string' ? status : undefined;
}

/**
 * A run is over for the backfill once its document is written: the run publishes `{stage: 'done', status}`
 * then, or `{stage: 'cleanup-pending', status}` while it waits out the replaced derivatives' grace period
 * (900 s by default), which must not hold a backfill slot; an upload's run waiting to re-drive sizes that
 * ended `internal` wrote a `partial` document.
 * `superseded`/`stale` count as completed: a newer version's own run owns the image now.
 */
export function runState(status: DurableOrchestrationStatus | undefined): RunState {
  if (status === undefined) return 'failed'; // purged or never started: nothing will finish it
  const { runtimeStatus } = status;
  if (
    runtimeStatus === OrchestrationRuntimeStatus.Failed ||
    runtimeStatus === OrchestrationRuntimeStatus.Terminated
  ) {
    return 'failed';
  }
  const output = status.output as { status?: unknown } | null | undefined;
  const done =
    doneStatus(status.customStatus) ??
    (runtimeStatus === OrchestrationRuntimeStatus.Completed
      ? doneStatus({ stage: 'done', status: output?.status })
      : undefined);
  if (done === undefined)
    return runtimeStatus === OrchestrationRuntimeStatus.Completed ? 'completed' : 'running';
  return FAILED_DOCUMENT_STATUSES.has(done) ? 'failed' : 'completed';
}

/** The state of each run, `CHECK_CONCURRENCY` status reads at a time; codes only, so history stays small. */
export async function checkBackfillRuns(
  input: CheckRunsInput,
  client: Pick<DurableClient, 'getStatus'>,
  concurrency: number = CHECK_CONCURRENCY,
): Promise<CheckRunsResult> {
  const states = await mapBounded(input.instanceIds, concurrency, async (instanceId) =>
    runState(await findInstanceStatus(client, instanceId)),
  );
  return { codes: states.map((state) => CODES[state]).join('') };
}
