import type { OrchestrationContext, Task } from 'durable-functions';
import { DELETE_DROPPED_DERIVATIVES_FUNCTION } from '../domain/functionNames';
import type {
  DeleteDroppedInput,
  OutputFormat,
  ResizeOrchestrationInput,
  ResizeOutcome,
  TransientRetry,
  WriteDocumentResult,
} from '../domain/types';
import { DEFAULT_REPLACED_GRACE_SECONDS, type CleanupPending } from './afterWrite';
import { transientRetryOptions } from './retryPolicy';

type Steps<T> = Generator<Task, T, unknown>;

/**
 * Per label of the plan, the output formats its final outcome accounts for (made, found stored, or failed), or
 * null when the label failed as a whole or has no outcome: its derivatives are then not judged.
 */
export function plannedFormats(
  input: Pick<ResizeOrchestrationInput, 'sizes'>,
  outcomes: readonly ResizeOutcome[],
): DeleteDroppedInput['planned'] {
  return input.sizes.map(({ label }) => {
    const outcome = outcomes.find((candidate) => candidate.label === label);
    if (outcome === undefined || outcome.errors.some((error) => error.format === undefined)) {
      return { label, formats: null };
    }
    const formats = new Set<OutputFormat>(outcome.variants.map((variant) => variant.format));
    for (const error of outcome.errors) if (error.format !== undefined) formats.add(error.format);
    return { label, formats: formats.size === 0 ? null : [...formats] };
  });
}

/**
 * Runs started with `prunesDropped`, once the document is written: `deleteDroppedDerivatives` deletes the
 * version's derivatives the plan no longer produces. When the write stopped naming variants the stored
 * document named (`droppedVariants`), pages rendered before may still ask for them, so it first waits the
 * grace period captured in the input, as the cleanup of a replaced version does. Nothing when no document was
 * written (another version or a delete owns the path). Its failure after retries only leaves them for the next
 * run; the answer is the number deleted, or undefined when it did not run or failed.
 */
export function* deleteDroppedDerivatives(
  context: OrchestrationContext,
  input: ResizeOrchestrationInput,
  outcomes: readonly ResizeOutcome[],
  written: WriteDocumentResult,
  transient: Readonly<TransientRetry>,
  publish: (pending: CleanupPending) => void,
): Steps<number | undefined> {
  if (input.prunesDropped !== true || !written.ok) return undefined;
  if ((written.droppedVariants ?? 0) > 0) {
    const graceSeconds = input.replacedGraceSeconds ?? DEFAULT_REPLACED_GRACE_SECONDS;
    const due = new Date(context.df.currentUtcDateTime.getTime() + graceSeconds * 1000);
    publish({ stage: 'cleanup-pending', cleanupAt: due.toISOString() });
    yield context.df.createTimer(due);
  }
  try {
    const result = (yield context.df.callActivityWithRetry(
      DELETE_DROPPED_DERIVATIVES_FUNCTION,
      transientRetryOptions(transient),
      {
        source: input.source,
        instanceId: context.df.instanceId,
        planned: plannedFormats(input, outcomes),
      } satisfies DeleteDroppedInput,
    )) as { deleted?: unknown };
    return typeof result.deleted === 'number' ? result.deleted : undefined;
  } catch {
    return undefined;
  }
}
