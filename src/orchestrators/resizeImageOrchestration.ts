import type { OrchestrationContext, OrchestrationHandler, RegisteredActivity, Task } from 'durable-functions';
import { resizeActivityName, WRITE_DOCUMENT_ACTIVITY } from '../activities/names';
import type {
  ResizeActivityInput,
  ResizeOrchestrationInput,
  ResizeOutcome,
  TransientRetry,
  WriteDocumentInput,
  WriteDocumentResult,
} from '../domain/types';
import { invocationLogger } from '../logging';
import { summarize, type OrchestrationSummary } from './outcomes';
import { redriveExhaustedSizes, type RedriveProgress } from './redrive';
import { isRetryPlan, LEGACY_RETRY_PLAN, transientRetryOptions } from './retryPolicy';
import { settleRound } from './settle';

/** The registered activity handles; a size without one is called by its function name. */
export interface OrchestratorActivities {
  resize: ReadonlyMap<string /* label */, RegisteredActivity>;
  writeDocument?: RegisteredActivity;
}

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
 * a changed IMAGE_SIZES never alters the replay of an in-flight instance), then the document writer.
 * Pure scheduling: no clock, randomness, I/O or settings; logs only when not replaying.
 */
export function createResizeImageOrchestrator(activities: OrchestratorActivities): OrchestrationHandler {
  function scheduleResize(
    context: OrchestrationContext,
    input: ResizeActivityInput,
    retry: TransientRetry,
  ): Task {
    const handle = activities.resize.get(input.size.label);
    return handle
      ? handle(input).withRetry(transientRetryOptions(retry))
      : context.df.callActivityWithRetry(
          resizeActivityName(input.size.label),
          transientRetryOptions(retry),
          input,
        );
  }

  function scheduleWrite(
    context: OrchestrationContext,
    input: WriteDocumentInput,
    retry: TransientRetry,
  ): Task {
    return activities.writeDocument
      ? activities.writeDocument(input).withRetry(transientRetryOptions(retry))
      : context.df.callActivityWithRetry(WRITE_DOCUMENT_ACTIVITY, transientRetryOptions(retry), input);
  }

  return function* resizeImageOrchestrator(context: OrchestrationContext): Steps<OrchestrationSummary> {
    const input: unknown = context.df.getInput();
    if (!isOrchestrationInput(input)) {
      // Only our trigger starts this orchestration; anything else is a bug worth a Failed instance.
      throw new Error(
        `Expected {source, sizes} with at least one size for the orchestration input but received ${JSON.stringify(input)}`,
      );
    }
    const { source, sizes } = input;
    const retry = input.retry ?? LEGACY_RETRY_PLAN;
    const instanceId = context.df.instanceId;
    const log = invocationLogger(context, { blobName: source.blobName, instanceId });
    const publish = (progress: ResizeProgress) => context.df.setCustomStatus(progress);

    if (!context.df.isReplaying) log.info('resizing', { sizes: sizes.map((size) => size.label) });
    publish({ stage: 'resizing', sizes: sizes.map((size) => size.label) });

    const runSize = (size: (typeof sizes)[number]) =>
      scheduleResize(context, { source, size, instanceId }, retry.transient);
    const writeDocument = (outcomes: ResizeOutcome[]) =>
      scheduleWrite(context, { instanceId, source, outcomes }, retry.transient);
    const round = yield* settleRound(context, sizes, sizes.map(runSize));
    const outcomes = round.outcomes;

    const labels = (status: ResizeOutcome['status']) =>
      outcomes.filter((outcome) => outcome.status === status).map((outcome) => outcome.label);
    publish({ stage: 'writing-document', succeeded: labels('ok'), failed: labels('error') });

    const firstWrite = (yield writeDocument(outcomes)) as WriteDocumentResult;
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
    const summary = summarize(final.outcomes, final.written);
    publish({ stage: 'done', status: summary.status });
    if (!context.df.isReplaying) log.info('done', { status: summary.status, variants: summary.variants });
    return summary;
  };
}
