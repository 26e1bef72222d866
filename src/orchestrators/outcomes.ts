import type {
  ImageError,
  Placeholder,
  PlaceholderOutcome,
  ResizeOutcome,
  SizeSpec,
  Variant,
  WriteDocumentResult,
} from '../domain/types';
import { PLACEHOLDER_FUNCTION, resizeFunctionName } from '../domain/functionNames';

const MAX_MESSAGE_LENGTH = 300;

/**
 * A size whose activity still threw after every retry: the error becomes that size's `internal` outcome so
 * the other sizes and the document survive. Only the first line is kept: Durable appends the serialized
 * exception (stack included) to the message, which does not belong in a document the site reads.
 */
export function internalOutcome(size: SizeSpec, error: unknown): ResizeOutcome {
  const raw = error instanceof Error ? error.message : String(error);
  const firstLine = raw.split('\n', 1)[0]?.trim() || 'unknown error';
  const reason =
    firstLine.length > MAX_MESSAGE_LENGTH ? `${firstLine.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : firstLine;
  return internalFailure(size, `${resizeFunctionName(size.label)} failed after retries: ${reason}`);
}

/** A size that produced nothing, with one `internal` error carrying `message` (re-drive rounds try it again). */
export function internalFailure(size: SizeSpec, message: string): ResizeOutcome {
  return {
    ok: false,
    label: size.label,
    variants: [],
    errors: [{ label: size.label, code: 'internal', message }],
  };
}

function isResizeOutcome(value: unknown, label: string): value is ResizeOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const outcome = value as Partial<ResizeOutcome>;
  if (outcome.label !== label) return false;
  if (!Array.isArray(outcome.variants) || !Array.isArray(outcome.errors)) return false;
  return outcome.ok === true ? outcome.variants.length > 0 : outcome.ok === false;
}

/**
 * A result recorded before renditions by an instance still in flight: `{ok, label, variant}` or
 * `{ok, label, error}` (one format per label), as the one-entry lists of today's outcome.
 */
function fromSingleFormatOutcome(value: unknown, label: string): ResizeOutcome | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const legacy = value as { ok?: unknown; label?: unknown; variant?: unknown; error?: unknown };
  if (legacy.label !== label) return undefined;
  const { variant, error, ...rest } = legacy;
  const v = variant as Partial<Variant> | null | undefined;
  if (legacy.ok === true && v?.label === label && typeof v.blobName === 'string') {
    return { ...rest, variants: [v], errors: [] } as unknown as ResizeOutcome;
  }
  const e = error as Partial<ImageError> | null | undefined;
  if (legacy.ok === false && typeof e?.code === 'string' && typeof e.message === 'string') {
    return { ...rest, variants: [], errors: [e] } as unknown as ResizeOutcome;
  }
  return undefined;
}

/**
 * An activity result that is not the contract's ResizeOutcome for this size is treated as an internal error
 * (a single-format result recorded by an older deployment is read as today's shape).
 */
export function checkedOutcome(size: SizeSpec, result: unknown): ResizeOutcome {
  if (isResizeOutcome(result, size.label)) return result;
  const legacy = fromSingleFormatOutcome(result, size.label);
  if (legacy !== undefined) return legacy;
  return internalOutcome(
    size,
    new Error(`unexpected activity result ${JSON.stringify(result) ?? typeof result}`),
  );
}

export function outcomeErrors(outcomes: readonly ResizeOutcome[]): ImageError[] {
  return outcomes.flatMap((outcome) => outcome.errors);
}

/** The orchestration's output: small, so status queries stay cheap (the document holds the details). */
export interface OrchestrationSummary {
  documentId: string;
  /**
   * The document's status, or why nothing was written: `superseded` (the source changed after the event; see
   * `handedOffTo`), `stale` (a newer version's document), `deleted` (the source was deleted since).
   */
  status: 'completed' | 'partial' | 'failed' | 'superseded' | 'stale' | 'deleted';
  /** Variants, one per (label, format), this run produced (a `?sizes=` re-run merges into the document). */
  variants: number;
  /** Whether this run made a placeholder (a failure only leaves it out of the document). */
  placeholder: boolean;
  errors: ImageError[];
  /** The instance processing the source as it is now, when this run's version had moved on (`superseded`). */
  handedOffTo?: string;
  /** Unused derivatives this run's cleanup deleted, when it ran one. */
  deletedDerivatives?: number;
  /** Derivatives of this version its plan no longer produces, deleted after the write (`prunesDropped` runs). */
  droppedDerivatives?: number;
}

export function summarize(
  outcomes: readonly ResizeOutcome[],
  placeholder: PlaceholderOutcome,
  written: WriteDocumentResult,
): OrchestrationSummary {
  return {
    documentId: written.documentId,
    status: written.ok ? written.status : written.reason,
    variants: outcomes.reduce((count, outcome) => count + outcome.variants.length, 0),
    placeholder: placeholder.ok,
    errors: outcomeErrors(outcomes),
  };
}

function isPlaceholderOutcome(value: unknown): value is PlaceholderOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const outcome = value as { ok?: unknown; placeholder?: unknown; reason?: unknown };
  if (outcome.ok === false) return typeof outcome.reason === 'string';
  if (outcome.ok !== true || typeof outcome.placeholder !== 'object' || outcome.placeholder === null) {
    return false;
  }
  const placeholder = outcome.placeholder as Partial<Placeholder>;
  return typeof placeholder.thumbhash === 'string' && typeof placeholder.dominantColor === 'string';
}

/** The placeholder activity's result, or not `ok` with the reason (it threw after its retries, or returned junk). */
export function placeholderOutcome(result: unknown, failed: boolean): PlaceholderOutcome {
  if (failed) {
    const raw = result instanceof Error ? result.message : String(result);
    const firstLine = raw.split('\n', 1)[0]?.trim() ?? '';
    return { ok: false, reason: `${PLACEHOLDER_FUNCTION} failed after retries: ${firstLine}` };
  }
  if (isPlaceholderOutcome(result)) return result;
  return {
    ok: false,
    reason: `unexpected ${PLACEHOLDER_FUNCTION} result ${JSON.stringify(result) ?? typeof result}`,
  };
}
