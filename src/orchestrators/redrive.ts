import type { OrchestrationContext, Task } from 'durable-functions';
import type { ResizeOutcome, SizeSpec, WriteDocumentResult } from '../domain/types';
import type { InvocationLogger } from '../logging';
import { registeredRound, type FindUnregistered } from './registeredRound';

type Steps<T> = Generator<Task, T, unknown>;

/** What `setCustomStatus` shows while an instance waits to re-run sizes that ended `internal`. */
export interface RedriveProgress {
  stage: 'waiting-to-redrive';
  sizes: string[];
  /** 1-based round of `RetryPlan.redriveDelaysSeconds`. */
  round: number;
  /** ISO time the durable timer fires. */
  retryAt: string;
}

export interface RedriveInput {
  /** Waits in seconds before each round (`RetryPlan.redriveDelaysSeconds`). */
  delaysSeconds: readonly number[];
  /** Sizes whose tasks still threw after every transient retry of the first round. */
  exhausted: readonly SizeSpec[];
  /** The first round's outcomes, one per planned size in plan order. */
  outcomes: readonly ResizeOutcome[];
  /** What the first round's document write did. */
  written: WriteDocumentResult;
  /** Schedules one size's activity (with the transient retries) for this instance's source. */
  runSize: (size: SizeSpec) => Task;
  /** Asks which labels this deployment no longer registers (see registeredRound.ts); undefined: never asks. */
  findUnregistered: FindUnregistered | undefined;
  /** Schedules the document writer with a full outcome set (it merges runs of the same source version). */
  writeDocument: (outcomes: ResizeOutcome[]) => Task;
  publish: (progress: RedriveProgress) => void;
  log: InvocationLogger;
}

export interface RedriveResult {
  outcomes: ResizeOutcome[];
  written: WriteDocumentResult;
}

/**
 * Re-drive: sizes that ended `internal` only because their transient retries ran out are run again after each
 * delay of the plan (durable timers from `currentUtcDateTime`, so replay is exact), until none is left or the
 * plan is spent. Only those sizes run; a round that changes any of their outcomes (a variant, or a permanent
 * error such as `superseded`) rewrites the document with the merged outcome set, and the writer merges it into
 * the document of the same source version. Nothing is re-driven once the document was not written (a newer
 * version owns the path), and permanent outcomes (`corrupt-image`, `too-large`, …) are never re-run.
 */
export function* redriveExhaustedSizes(
  context: OrchestrationContext,
  input: RedriveInput,
): Steps<RedriveResult> {
  let pending = [...input.exhausted];
  const outcomes = [...input.outcomes];
  let written = input.written;
  for (const [index, delaySeconds] of input.delaysSeconds.entries()) {
    if (pending.length === 0 || !written.ok) break;
    const labels = pending.map((size) => size.label);
    const retryAt = new Date(context.df.currentUtcDateTime.getTime() + delaySeconds * 1000);
    input.publish({
      stage: 'waiting-to-redrive',
      sizes: labels,
      round: index + 1,
      retryAt: retryAt.toISOString(),
    });
    if (!context.df.isReplaying) {
      input.log.info('re-drive scheduled', {
        sizes: labels,
        round: index + 1,
        retryAt: retryAt.toISOString(),
      });
    }
    yield context.df.createTimer(retryAt);

    const round = yield* registeredRound(context, pending, input.findUnregistered, input.runSize, input.log);
    const stillExhausted = new Set(round.exhausted.map((size) => size.label));
    for (const outcome of round.outcomes) {
      const at = outcomes.findIndex((previous) => previous.label === outcome.label);
      if (at >= 0) outcomes[at] = outcome;
    }
    const settled = round.outcomes.filter((outcome) => !stillExhausted.has(outcome.label));
    if (!context.df.isReplaying) {
      input.log.info('re-drive round done', {
        round: index + 1,
        succeeded: settled.filter((outcome) => outcome.ok).map((outcome) => outcome.label),
        stillFailing: [...stillExhausted],
      });
    }
    pending = round.exhausted;
    if (settled.length > 0) written = (yield input.writeDocument([...outcomes])) as WriteDocumentResult;
  }
  return { outcomes, written };
}
