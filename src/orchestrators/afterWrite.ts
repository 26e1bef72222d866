import type { OrchestrationContext, Task } from 'durable-functions';
import { DELETE_UNUSED_DERIVATIVES_FUNCTION, HAND_OFF_FUNCTION } from '../domain/functionNames';
import type {
  HandOffInput,
  HandOffResult,
  ResizeOrchestrationInput,
  ResizeOutcome,
  TransientRetry,
  WriteDocumentResult,
} from '../domain/types';
import { transientRetryOptions } from './retryPolicy';

/** `REPLACED_DERIVATIVES_GRACE_SECONDS`' default, for instances started before the input carried it. */
export const DEFAULT_REPLACED_GRACE_SECONDS = 900;

/** What happened after the document write, for the orchestration's output. */
export interface AfterWrite {
  /** The instance that processes the source as it is now, when this run's version had moved on. */
  handedOffTo?: string;
  /** Unused derivatives deleted by this run's cleanup (replaced versions, orphans), when it ran one. */
  deletedDerivatives?: number;
}

type Steps<T> = Generator<Task, T, unknown>;

/** When the cleanup runs, as the custom status shows it while the orchestration waits. */
export interface CleanupPending {
  stage: 'cleanup-pending';
  cleanupAt: string;
}

/**
 * The steps after the writer, pure scheduling code like the rest of the orchestration:
 * - the writer skipped because the source changed after the event (`superseded`): hand the source over to
 *   the instance of its current version (see lifecycle/handOff.ts);
 * - cleanup, when this run left derivatives no document may use (it replaced another version's document,
 *   or wrote none after uploading some): a durable timer of the grace period captured in the input (so pages
 *   rendered with the replaced version keep working for a while), then `deleteUnusedDerivatives`. Because the
 *   timer is durable, a crash or restart in between still deletes them. After a delete (the writer found a
 *   tombstone) there is nothing to keep pages working for: the cleanup runs at once.
 */
export function* afterDocumentWrite(
  context: OrchestrationContext,
  input: ResizeOrchestrationInput,
  outcomes: readonly ResizeOutcome[],
  written: WriteDocumentResult,
  transient: Readonly<TransientRetry>,
  publish: (pending: CleanupPending) => void,
): Steps<AfterWrite> {
  const after: AfterWrite = {};
  if (!written.ok && written.reason === 'superseded') {
    const handOff = (yield context.df.callActivityWithRetry(
      HAND_OFF_FUNCTION,
      transientRetryOptions(transient),
      {
        orchestration: input,
      } satisfies HandOffInput,
    )) as HandOffResult;
    if (handOff.ok) after.handedOffTo = handOff.instanceId;
  }
  const uploaded = outcomes.some((outcome) => outcome.ok);
  const leftUnused = written.ok ? written.replacedVersion : uploaded;
  if (!leftUnused) return after;

  if (written.ok || written.reason !== 'deleted') {
    const graceSeconds = input.replacedGraceSeconds ?? DEFAULT_REPLACED_GRACE_SECONDS;
    const due = new Date(context.df.currentUtcDateTime.getTime() + graceSeconds * 1000);
    publish({ stage: 'cleanup-pending', cleanupAt: due.toISOString() });
    yield context.df.createTimer(due);
  }
  const { container, blobName } = input.source;
  const cleaned = (yield context.df.callActivityWithRetry(
    DELETE_UNUSED_DERIVATIVES_FUNCTION,
    transientRetryOptions(transient),
    { container, blobName },
  )) as { deleted: number };
  after.deletedDerivatives = cleaned.deleted;
  return after;
}
