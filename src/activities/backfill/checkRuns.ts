import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { OrchestrationRuntimeStatus } from 'durable-functions';
import { findInstanceStatus } from '../../triggers/instanceStatus';

/** Where one started run is: still working, or ended for the backfill's purpose. */
export type RunState = 'running' | 'completed' | 'failed';

export interface CheckRunsInput {
  instanceIds: string[];
}

export interface CheckedRun {
  instanceId: string;
  state: RunState;
}

const FAILED_DOCUMENT_STATUSES: ReadonlySet<string> = new Set(['failed', 'partial']);

function doneStatus(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { stage, status } = value as { stage?: unknown; status?: unknown };
  return stage === 'done' && typeof status === 'string' ? status : undefined;
}

/**
 * A run is over for the backfill once its document is written: the run publishes `{stage: 'done', status}` as
 * custom status then, and whatever it does after (a cleanup grace timer) must not hold a backfill slot.
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

export async function checkBackfillRuns(
  input: CheckRunsInput,
  client: Pick<DurableClient, 'getStatus'>,
): Promise<CheckedRun[]> {
  return Promise.all(
    input.instanceIds.map(async (instanceId) => ({
      instanceId,
      state: runState(await findInstanceStatus(client, instanceId)),
    })),
  );
}
