import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import {
  ORCHESTRATOR_FUNCTION,
  PLACEHOLDER_FUNCTION,
  resizeFunctionName,
  WRITE_DOCUMENT_FUNCTION,
} from '../domain/functionNames';
import type {
  PlaceholderActivityInput,
  ResizeActivityInput,
  ResizeOrchestrationInput,
  ResizeOutcome,
  SizeSpec,
  WriteDocumentInput,
  WriteDocumentResult,
} from '../domain/types';
import { ArgumentError } from '../domain/errors';
import { invocationLogger } from '../logging';
import { summarize, type OrchestrationSummary } from './outcomes';
import { redriveExhaustedSizes, type RedriveProgress } from './redrive';
import { isRetryPlan, LEGACY_RETRY_PLAN, transientRetryOptions } from './retryPolicy';
import { settlePlaceholder, settleRound } from './settle';

/** What `setCustomStatus` publishes, so status queries show where an image is. */
export type ResizeProgress =
  | { stage: 'resizing'; sizes: string[] }
  | { stage: 'writing-document'; succeeded: string[]; failed: string[] }
  | RedriveProgress
  | { stage: 'done'; status: OrchestrationSummary['status'] };

type Steps<T> = Generator<Task, T, unknown>;

function isOrchestrationInput(value: unknown): value is ResizeOrchestrationInput {
  if (typeof value !== 'object' || value === null) return false;
  const { source, sizes, retry } = value as Partial<ResizeOrchestrationInput>;
  return (
    (retry === undefined || isRetryPlan(retry)) &&
    typeof source === 'object' &&
    source !== null &&
    typeof source.blobName === 'string' &&
    typeof source.eTag === 'string' &&
    Array.isArray(sizes) &&
    sizes.length > 0 &&
    sizes.every((size) => typeof size === 'object' && size !== null && typeof size.label === 'string')
  );
}

/**
 * The orchestration: one `resize-{label}` activity per size of the plan in the INPUT (captured at start, so
 * a changed IMAGE_SIZES never alters the replay of an in-flight instance) and the placeholder activity in one
 * fan-out, then the document writer.
 * Activities are called by name (src/domain/functionNames.ts), never through registration handles, so this
 * code depends on no registration. Pure scheduling: no clock, randomness, I/O or settings; logs only when
 * not replaying.
 */
export function* resizeImageOrchestrator(context: OrchestrationContext): Steps<OrchestrationSummary> {
  const input: unknown = context.df.getInput();
  if (!isOrchestrationInput(input)) {
    // Only our trigger starts this orchestration; anything else is a bug worth a Failed instance.
    throw new ArgumentError('the orchestration input', '{source, sizes} with at least one size', input);
  }
  const { source, sizes } = input;
  const retry = input.retry ?? LEGACY_RETRY_PLAN;
  const instanceId = context.df.instanceId;
  const log = invocationLogger(context, { blobName: source.blobName, instanceId });
  const publish = (progress: ResizeProgress) => context.df.setCustomStatus(progress);

  if (!context.df.isReplaying) log.info('resizing', { sizes: sizes.map((size) => size.label) });
  publish({ stage: 'resizing', sizes: sizes.map((size) => size.label) });

  const runSize = (size: SizeSpec) =>
    context.df.callActivityWithRetry(resizeFunctionName(size.label), transientRetryOptions(retry.transient), {
      source,
      size,
      instanceId,
    } satisfies ResizeActivityInput);
  // The placeholder runs beside the sizes, in the same fan-out; its failure only leaves it out. It is not
  // re-driven: a page falls back to no placeholder, never to no image.
  const placeholderTask = context.df.callActivityWithRetry(
    PLACEHOLDER_FUNCTION,
    transientRetryOptions(retry.transient),
    { source, instanceId } satisfies PlaceholderActivityInput,
  );
  const round = yield* settleRound(context, sizes, sizes.map(runSize), [placeholderTask]);
  const outcomes = round.outcomes;
  const placeholder = yield* settlePlaceholder(placeholderTask);
  if (!placeholder.ok && !context.df.isReplaying) log.warn('no placeholder', { reason: placeholder.reason });
  // Every write (the first and each re-drive's) carries the placeholder, so a rewrite never drops it.
  const writeDocument = (outcomes: ResizeOutcome[]) => {
    const writeInput: WriteDocumentInput = { instanceId, source, outcomes };
    if (placeholder.ok) writeInput.placeholder = placeholder.placeholder;
    return context.df.callActivityWithRetry(
      WRITE_DOCUMENT_FUNCTION,
      transientRetryOptions(retry.transient),
      writeInput,
    );
  };

  const labels = (ok: boolean) =>
    outcomes.filter((outcome) => outcome.ok === ok).map((outcome) => outcome.label);
  publish({ stage: 'writing-document', succeeded: labels(true), failed: labels(false) });

  const firstWrite = (yield writeDocument(outcomes)) as WriteDocumentResult;
  // Sizes whose retries ran out wait for the re-drive rounds of the plan (src/orchestrators/redrive.ts).
  const final = yield* redriveExhaustedSizes(context, {
    delaysSeconds: retry.redriveDelaysSeconds,
    exhausted: round.exhausted,
    outcomes,
    written: firstWrite,
    runSize,
    writeDocument,
    publish,
    log,
  });
  const summary = summarize(final.outcomes, placeholder, final.written);
  publish({ stage: 'done', status: summary.status });
  if (!context.df.isReplaying) log.info('done', { status: summary.status, variants: summary.variants });
  return summary;
}

df.app.orchestration(ORCHESTRATOR_FUNCTION, resizeImageOrchestrator);
