import type { OrchestrationContext, OrchestrationHandler, RegisteredActivity, Task } from 'durable-functions';
import {
  DELETE_INTERMEDIATE_ACTIVITY,
  PREPARE_SOURCE_ACTIVITY,
  resizeActivityName,
  WRITE_DOCUMENT_ACTIVITY,
} from '../activities/names';
import type {
  IntermediateRef,
  PrepareSourceInput,
  PrepareSourceOutcome,
  ResizeActivityInput,
  ResizeOrchestrationInput,
  ResizeOutcome,
  SizeSpec,
  WriteDocumentInput,
  WriteDocumentResult,
} from '../domain/types';
import { invocationLogger } from '../logging';
import { checkedOutcome, internalOutcome, summarize, type OrchestrationSummary } from './outcomes';
import { transientRetryOptions } from './retryPolicy';

/** The registered activity handles; a size without one is called by its function name. */
export interface OrchestratorActivities {
  resize: ReadonlyMap<string /* label */, RegisteredActivity>;
  writeDocument?: RegisteredActivity;
  prepareSource?: RegisteredActivity;
  deleteIntermediate?: RegisteredActivity;
}

/** What `setCustomStatus` publishes, so status queries show where an image is. */
export type ResizeProgress =
  | { stage: 'decoding'; sizes: string[] }
  | { stage: 'resizing'; sizes: string[] }
  | { stage: 'writing-document'; succeeded: string[]; failed: string[] }
  | { stage: 'done'; status: OrchestrationSummary['status'] };

type Steps<T> = Generator<Task, T, unknown>;

function isOrchestrationInput(value: unknown): value is ResizeOrchestrationInput {
  if (typeof value !== 'object' || value === null) return false;
  const { source, sizes } = value as Partial<ResizeOrchestrationInput>;
  return (
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
 * Whether a run decodes once before the fan-out. The event's content type only routes, it never decides:
 * JPEG sources go straight to the sizes (their per-size decodes shrink on load), everything else asks
 * `prepareSource`, which looks at the bytes itself and may still answer "read the source" (a JPEG uploaded
 * as `application/octet-stream`, say). Both paths give the same derivatives. One size decodes once anyway.
 */
export function decodesOnce(input: ResizeOrchestrationInput): boolean {
  return input.sizes.length > 1 && !/^image\/(jpeg|jpg|pjpeg)\s*(;|$)/i.test(input.source.contentType.trim());
}

function isPrepareOutcome(value: unknown): value is PrepareSourceOutcome {
  const status = (value as { status?: unknown } | null)?.status;
  return status === 'intermediate' || status === 'source' || status === 'error';
}

/**
 * Waits for one size's task (already scheduled by the fan-out, so yielding it again adds no action) and turns
 * it into an outcome: a task that still failed after its retries becomes that size's `internal` error.
 */
function* settle(task: Task, size: SizeSpec): Steps<ResizeOutcome> {
  if (task.isCompleted) return checkedOutcome(size, task.result);
  if (task.isFaulted) return internalOutcome(size, task.result);
  try {
    return checkedOutcome(size, yield task);
  } catch (error) {
    return internalOutcome(size, error);
  }
}

/**
 * The orchestration: for sources that do not shrink on load, `prepareSource` first decodes once into an
 * intermediate; then one `resize-{label}` activity per size of the plan in the INPUT (captured at start, so
 * a changed IMAGE_SIZES never alters the replay of an in-flight instance), then the document writer, then
 * the intermediate is deleted.
 * Pure scheduling: no clock, randomness, I/O or settings; logs only when not replaying.
 */
export function createResizeImageOrchestrator(activities: OrchestratorActivities): OrchestrationHandler {
  function scheduleResize(context: OrchestrationContext, input: ResizeActivityInput): Task {
    const handle = activities.resize.get(input.size.label);
    return handle
      ? handle(input).withRetry(transientRetryOptions())
      : context.df.callActivityWithRetry(
          resizeActivityName(input.size.label),
          transientRetryOptions(),
          input,
        );
  }

  function schedulePrepare(context: OrchestrationContext, input: PrepareSourceInput): Task {
    return activities.prepareSource
      ? activities.prepareSource(input).withRetry(transientRetryOptions())
      : context.df.callActivityWithRetry(PREPARE_SOURCE_ACTIVITY, transientRetryOptions(), input);
  }

  function scheduleDelete(context: OrchestrationContext, intermediate: IntermediateRef): Task {
    return activities.deleteIntermediate
      ? activities.deleteIntermediate(intermediate).withRetry(transientRetryOptions())
      : context.df.callActivityWithRetry(DELETE_INTERMEDIATE_ACTIVITY, transientRetryOptions(), intermediate);
  }

  /** Decode once, when it may pay: the intermediate, a permanent problem every size shares, or neither. */
  function* prepare(
    context: OrchestrationContext,
    input: PrepareSourceInput,
  ): Steps<{ intermediate?: IntermediateRef; error?: ResizeOutcome[] }> {
    let prepared: unknown;
    try {
      prepared = yield schedulePrepare(context, input);
    } catch {
      return {}; // still failing after its retries: every size reads the source itself, as without it
    }
    if (!isPrepareOutcome(prepared)) return {};
    if (prepared.status === 'intermediate') return { intermediate: prepared.intermediate };
    if (prepared.status === 'error') {
      const { error } = prepared;
      return {
        error: input.sizes.map((size) => ({
          status: 'error',
          label: size.label,
          error: { ...error, label: size.label },
        })),
      };
    }
    return {};
  }

  function scheduleWrite(context: OrchestrationContext, input: WriteDocumentInput): Task {
    return activities.writeDocument
      ? activities.writeDocument(input).withRetry(transientRetryOptions())
      : context.df.callActivityWithRetry(WRITE_DOCUMENT_ACTIVITY, transientRetryOptions(), input);
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
    const instanceId = context.df.instanceId;
    const log = invocationLogger(context, { blobName: source.blobName, instanceId });
    const publish = (progress: ResizeProgress) => context.df.setCustomStatus(progress);

    const labels = sizes.map((size) => size.label);
    let prepared: { intermediate?: IntermediateRef; error?: ResizeOutcome[] } = {};
    if (decodesOnce(input)) {
      publish({ stage: 'decoding', sizes: labels });
      prepared = yield* prepare(context, { source, sizes, instanceId });
    }
    const { intermediate } = prepared;

    let outcomes: ResizeOutcome[];
    if (prepared.error !== undefined) {
      // The source itself is the problem (corrupt, too large, gone...): every size would find the same.
      outcomes = prepared.error;
    } else {
      if (!context.df.isReplaying)
        log.info('resizing', { sizes: labels, decodedOnce: intermediate !== undefined });
      publish({ stage: 'resizing', sizes: labels });
      const tasks = sizes.map((size) =>
        scheduleResize(context, { source, size, instanceId, ...(intermediate ? { intermediate } : {}) }),
      );
      try {
        yield context.df.Task.all(tasks);
      } catch {
        // Task.all fails on the first size that exhausted its retries; the others are still wanted and are
        // collected (and, if still running, awaited) one by one below.
      }
      outcomes = [];
      for (const [index, size] of sizes.entries()) {
        const task = tasks[index];
        if (task) outcomes.push(yield* settle(task, size));
      }
    }

    const withStatus = (status: ResizeOutcome['status']) =>
      outcomes.filter((outcome) => outcome.status === status).map((outcome) => outcome.label);
    publish({ stage: 'writing-document', succeeded: withStatus('ok'), failed: withStatus('error') });

    const written = (yield scheduleWrite(context, { instanceId, source, outcomes })) as WriteDocumentResult;
    if (intermediate !== undefined) {
      try {
        yield scheduleDelete(context, intermediate);
      } catch {
        // Left for the scratch container's lifecycle rule; the run's result does not depend on it.
      }
    }
    const summary = summarize(outcomes, written);
    publish({ stage: 'done', status: summary.status });
    if (!context.df.isReplaying) log.info('done', { status: summary.status, variants: summary.variants });
    return summary;
  };
}
