import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import {
  DELETE_INTERMEDIATE_FUNCTION,
  FIND_UNREGISTERED_SIZES_FUNCTION,
  ORCHESTRATOR_FUNCTION,
  PLACEHOLDER_FUNCTION,
  PREPARE_SOURCE_FUNCTION,
  resizeFunctionName,
  WRITE_DOCUMENT_FUNCTION,
} from '../domain/functionNames';
import type {
  DeleteIntermediateInput,
  FindUnregisteredSizesInput,
  IntermediateRef,
  PlaceholderActivityInput,
  PlaceholderOutcome,
  PrepareSourceInput,
  PrepareSourceOutcome,
  RetryPlan,
  ResizeActivityInput,
  ResizeOrchestrationInput,
  ResizeOutcome,
  SizeSpec,
  WriteDocumentInput,
  WriteDocumentResult,
} from '../domain/types';
import { ArgumentError } from '../domain/errors';
import { invocationLogger } from '../logging';
import { afterDocumentWrite } from './afterWrite';
import { deleteDroppedDerivatives } from './deleteDropped';
import { summarize, type OrchestrationSummary } from './outcomes';
import { redriveExhaustedSizes, type RedriveProgress, type RedriveResult } from './redrive';
import { isRetryPlan, LEGACY_RETRY_PLAN, transientRetryOptions } from './retryPolicy';
import { registeredRound } from './registeredRound';
import { settlePlaceholder, type SettledRound } from './settle';

/** What `setCustomStatus` publishes, so status queries show where an image is. */
export type ResizeProgress =
  | { stage: 'decoding'; sizes: string[] }
  | { stage: 'resizing'; sizes: string[] }
  | { stage: 'writing-document'; succeeded: string[]; failed: string[] }
  /** The document is written (`status`); the replaced version's derivatives are deleted at `cleanupAt`. */
  | { stage: 'cleanup-pending'; status: OrchestrationSummary['status']; cleanupAt: string }
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
 * Whether a run asks `prepareSource` before the fan-out. A plan of one size never does (one decode either
 * way). A run started with `routeByBytes: true` always does: `prepareSource` sniffs the first bytes and
 * answers "read the source" for a JPEG, so the bytes, not the declared type, decide (a HEIC declared
 * `image/jpeg` is decoded once). A run started without it (before the marker existed) keeps the schedule its
 * history recorded: a declared `image/jpeg` goes straight to the sizes, anything else asks `prepareSource`.
 */
export function decodesOnce(input: ResizeOrchestrationInput): boolean {
  if (input.sizes.length < 2) return false;
  if (input.routeByBytes === true) return true;
  return !/^image\/(jpeg|jpg|pjpeg)\s*(;|$)/i.test(input.source.contentType.trim());
}

/** The variants the first write or a re-drive's stopped naming, as the later write result carries them. */
function droppedBy(...writes: WriteDocumentResult[]): { droppedVariants?: number } {
  const dropped = Math.max(0, ...writes.map((write) => (write.ok ? (write.droppedVariants ?? 0) : 0)));
  return dropped > 0 ? { droppedVariants: dropped } : {};
}

function isPrepareOutcome(value: unknown): value is PrepareSourceOutcome {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

/**
 * Decode once, when it may pay: the intermediate; or the outcomes of a problem with the source that every size
 * would hit alike; or neither (read the source), also when `prepareSource` still failed after its retries.
 */
function* prepare(
  context: OrchestrationContext,
  input: PrepareSourceInput,
  retry: RetryPlan,
): Steps<{ intermediate?: IntermediateRef; failed?: ResizeOutcome[] }> {
  let prepared: unknown;
  try {
    prepared = yield context.df.callActivityWithRetry(
      PREPARE_SOURCE_FUNCTION,
      transientRetryOptions(retry.transient),
      input,
    );
  } catch {
    return {};
  }
  if (!isPrepareOutcome(prepared)) return {};
  if (prepared.ok) return 'intermediate' in prepared ? { intermediate: prepared.intermediate } : {};
  const { error, source } = prepared;
  return {
    failed: input.sizes.map((size) => ({
      ok: false as const,
      label: size.label,
      variants: [] as [],
      errors: [{ ...error, label: size.label }],
      ...(source === undefined ? {} : { source }),
    })),
  };
}

/**
 * The orchestration: for sources that do not shrink on load, `prepareSource` first decodes once into an
 * intermediate (see `decodesOnce`); then one `resize-{label}` activity per size of the plan in the INPUT
 * (captured at start, so a changed IMAGE_SIZES never alters the replay of an in-flight instance), then the
 * document writer (and any re-drive rounds), then `deleteIntermediate`. Every fan-out round first asks which
 * planned labels this deployment no longer registers (see registeredRound.ts), so a removed size ends as a
 * re-drivable `internal` outcome in a written document, never as a Failed instance. Instances started with
 * `placeholder: true` also run the placeholder activity in the same fan-out, scheduled after the sizes; those
 * started with `prunesDropped: true` delete, after the last write, the derivatives of their version the plan no
 * longer produces (orchestrators/deleteDropped.ts).
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

  const labels = sizes.map((size) => size.label);
  let prepared: { intermediate?: IntermediateRef; failed?: ResizeOutcome[] } = {};
  if (decodesOnce(input)) {
    publish({ stage: 'decoding', sizes: labels });
    prepared = yield* prepare(context, { source, sizes, instanceId }, retry);
  }
  const { intermediate } = prepared;

  const runSize = (size: SizeSpec) =>
    context.df.callActivityWithRetry(resizeFunctionName(size.label), transientRetryOptions(retry.transient), {
      source,
      size,
      instanceId,
      ...(intermediate === undefined ? {} : { intermediate }),
    } satisfies ResizeActivityInput);
  // The placeholder runs beside the sizes in the same fan-out, scheduled AFTER them, and only in instances
  // started with `placeholder: true`: an instance started before it existed replays the fan-out its history
  // recorded (Durable matches scheduled tasks by order). Its failure only leaves it out; it is not re-driven.
  const findUnregistered =
    input.checksRegistration === true
      ? (labels: string[]) =>
          context.df.callActivityWithRetry(
            FIND_UNREGISTERED_SIZES_FUNCTION,
            transientRetryOptions(retry.transient),
            { instanceId, blobName: source.blobName, labels } satisfies FindUnregisteredSizesInput,
          )
      : undefined;
  const runPlaceholder = () =>
    context.df.callActivityWithRetry(PLACEHOLDER_FUNCTION, transientRetryOptions(retry.transient), {
      source,
      instanceId,
      ...(intermediate === undefined ? {} : { intermediate }),
    } satisfies PlaceholderActivityInput);
  let round: SettledRound;
  let final: RedriveResult;
  let firstWrite: WriteDocumentResult;
  let placeholderTask: Task | undefined;
  let placeholder: PlaceholderOutcome = { ok: false, reason: 'not planned for this run' };
  // The intermediate is deleted on every path this code controls, a writer that failed after its retries
  // included; a terminated or crashed run leaves it to the scratch container's lifecycle rule.
  try {
    if (prepared.failed !== undefined) {
      // The source itself is the problem (corrupt, too large, gone...): every size would find the same.
      round = { outcomes: prepared.failed, exhausted: [] };
    } else {
      if (!context.df.isReplaying)
        log.info('resizing', { sizes: labels, decodedOnce: intermediate !== undefined });
      publish({ stage: 'resizing', sizes: labels });
      const scheduled: { placeholder?: Task } = {};
      round = yield* registeredRound(context, sizes, findUnregistered, runSize, log, () => {
        if (input.placeholder === true) scheduled.placeholder = runPlaceholder();
        return scheduled.placeholder ? [scheduled.placeholder] : [];
      });
      placeholderTask = scheduled.placeholder;
    }
    const outcomes = round.outcomes;
    if (placeholderTask) placeholder = yield* settlePlaceholder(placeholderTask);
    if (placeholderTask && !placeholder.ok && !context.df.isReplaying) {
      log.warn('no placeholder', { reason: placeholder.reason });
    }
    const settledPlaceholder = placeholder;
    // Every write (the first and each re-drive's) carries the placeholder, so a rewrite never drops it.
    const writeDocument = (outcomes: ResizeOutcome[]) => {
      const writeInput: WriteDocumentInput = { instanceId, source, outcomes };
      if (settledPlaceholder.ok) writeInput.placeholder = settledPlaceholder.placeholder;
      if (input.prunesDropped === true) writeInput.dropsUnlisted = true;
      return context.df.callActivityWithRetry(
        WRITE_DOCUMENT_FUNCTION,
        transientRetryOptions(retry.transient),
        writeInput,
      );
    };

    const withOk = (ok: boolean) =>
      outcomes.filter((outcome) => outcome.ok === ok).map((outcome) => outcome.label);
    publish({ stage: 'writing-document', succeeded: withOk(true), failed: withOk(false) });

    firstWrite = (yield writeDocument(outcomes)) as WriteDocumentResult;
    // Sizes whose retries ran out wait for the re-drive rounds of the plan (src/orchestrators/redrive.ts).
    final = yield* redriveExhaustedSizes(context, {
      delaysSeconds: retry.redriveDelaysSeconds,
      exhausted: round.exhausted,
      outcomes,
      written: firstWrite,
      runSize,
      findUnregistered,
      writeDocument,
      publish,
      log,
    });
  } finally {
    if (intermediate !== undefined) {
      try {
        yield context.df.callActivityWithRetry(
          DELETE_INTERMEDIATE_FUNCTION,
          transientRetryOptions(retry.transient),
          { intermediate, instanceId, blobName: source.blobName } satisfies DeleteIntermediateInput,
        );
      } catch {
        // Left for the scratch container's lifecycle rule; the run's result does not depend on it.
      }
    }
  }
  const status = summarize(final.outcomes, placeholder, final.written).status;
  // A re-drive round merges into the document the first write made: whether a version was replaced is the
  // first write's answer.
  const written: WriteDocumentResult =
    final.written.ok && firstWrite.ok
      ? {
          ...final.written,
          replacedVersion: firstWrite.replacedVersion || final.written.replacedVersion,
          ...droppedBy(firstWrite, final.written),
        }
      : final.written;
  // Runs started with `prunesDropped` only (older instances replay without this step): after the last write.
  const droppedDerivatives = yield* deleteDroppedDerivatives(
    context,
    input,
    final.outcomes,
    written,
    retry.transient,
    (pending) => publish({ ...pending, status }),
  );
  const after = yield* afterDocumentWrite(
    context,
    input,
    final.outcomes,
    written,
    retry.transient,
    (pending) => publish({ ...pending, status }),
  );
  const summary: OrchestrationSummary = {
    ...summarize(final.outcomes, placeholder, final.written),
    ...after,
    ...(droppedDerivatives === undefined ? {} : { droppedDerivatives }),
  };
  publish({ stage: 'done', status: summary.status });
  if (!context.df.isReplaying) log.info('done', { status: summary.status, variants: summary.variants });
  return summary;
}

df.app.orchestration(ORCHESTRATOR_FUNCTION, resizeImageOrchestrator);
