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
  PlaceholderOutcome,
  ResizeActivityInput,
  ResizeOrchestrationInput,
  ResizeOutcome,
  SizeSpec,
  WriteDocumentInput,
  WriteDocumentResult,
} from '../domain/types';
import { ArgumentError } from '../domain/errors';
import { invocationLogger } from '../logging';
import {
  checkedOutcome,
  internalOutcome,
  placeholderOutcome,
  summarize,
  type OrchestrationSummary,
} from './outcomes';
import { transientRetryOptions } from './retryPolicy';

/** What `setCustomStatus` publishes, so status queries show where an image is. */
export type ResizeProgress =
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

/** The placeholder task's result, or not `ok` with the reason it failed: never an exception. */
function* settlePlaceholder(task: Task): Steps<PlaceholderOutcome> {
  if (task.isCompleted) return placeholderOutcome(task.result, false);
  if (task.isFaulted) return placeholderOutcome(task.result, true);
  try {
    return placeholderOutcome(yield task, false);
  } catch (error) {
    return placeholderOutcome(error, true);
  }
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
  const instanceId = context.df.instanceId;
  const log = invocationLogger(context, { blobName: source.blobName, instanceId });
  const publish = (progress: ResizeProgress) => context.df.setCustomStatus(progress);

  if (!context.df.isReplaying) log.info('resizing', { sizes: sizes.map((size) => size.label) });
  publish({ stage: 'resizing', sizes: sizes.map((size) => size.label) });

  const tasks = sizes.map((size) =>
    context.df.callActivityWithRetry(resizeFunctionName(size.label), transientRetryOptions(), {
      source,
      size,
      instanceId,
    } satisfies ResizeActivityInput),
  );
  // The placeholder runs beside the sizes, in the same fan-out; its failure only leaves it out.
  const placeholderTask = context.df.callActivityWithRetry(PLACEHOLDER_FUNCTION, transientRetryOptions(), {
    source,
    instanceId,
  } satisfies PlaceholderActivityInput);
  try {
    yield context.df.Task.all([...tasks, placeholderTask]);
  } catch {
    // Task.all fails on the first task that exhausted its retries; the others are still wanted and are
    // collected (and, if still running, awaited) one by one below.
  }
  const outcomes: ResizeOutcome[] = [];
  for (const [index, size] of sizes.entries()) {
    const task = tasks[index];
    if (task) outcomes.push(yield* settle(task, size));
  }
  const placeholder = yield* settlePlaceholder(placeholderTask);
  if (!placeholder.ok && !context.df.isReplaying) log.warn('no placeholder', { reason: placeholder.reason });

  const labels = (ok: boolean) =>
    outcomes.filter((outcome) => outcome.ok === ok).map((outcome) => outcome.label);
  publish({ stage: 'writing-document', succeeded: labels(true), failed: labels(false) });

  const writeInput: WriteDocumentInput = { instanceId, source, outcomes };
  if (placeholder.ok) writeInput.placeholder = placeholder.placeholder;
  const written = (yield context.df.callActivityWithRetry(
    WRITE_DOCUMENT_FUNCTION,
    transientRetryOptions(),
    writeInput,
  )) as WriteDocumentResult;
  const summary = summarize(outcomes, placeholder, written);
  publish({ stage: 'done', status: summary.status });
  if (!context.df.isReplaying) log.info('done', { status: summary.status, variants: summary.variants });
  return summary;
}

df.app.orchestration(ORCHESTRATOR_FUNCTION, resizeImageOrchestrator);
