import type { ImageError, ResizeOutcome, SizeSpec, WriteDocumentResult } from '../domain/types';
import { resizeFunctionName } from '../domain/functionNames';

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
  return {
    ok: false,
    label: size.label,
    error: {
      label: size.label,
      code: 'internal',
      message: `${resizeFunctionName(size.label)} failed after retries: ${reason}`,
    },
  };
}

function isResizeOutcome(value: unknown, label: string): value is ResizeOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const outcome = value as Partial<ResizeOutcome>;
  if (outcome.label !== label) return false;
  return (outcome.ok === true && 'variant' in outcome) || (outcome.ok === false && 'error' in outcome);
}

/** An activity result that is not the contract's ResizeOutcome for this size is treated as an internal error. */
export function checkedOutcome(size: SizeSpec, result: unknown): ResizeOutcome {
  if (isResizeOutcome(result, size.label)) return result;
  return internalOutcome(
    size,
    new Error(`unexpected activity result ${JSON.stringify(result) ?? typeof result}`),
  );
}

export function outcomeErrors(outcomes: readonly ResizeOutcome[]): ImageError[] {
  return outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.error]));
}

/** The orchestration's output: small, so status queries stay cheap (the document holds the details). */
export interface OrchestrationSummary {
  documentId: string;
  /**
   * The document's status, or why nothing was written: `superseded` (the source changed after the event; see
   * `handedOffTo`), `stale` (a newer version's document), `deleted` (the source was deleted since).
   */
  status: 'completed' | 'partial' | 'failed' | 'superseded' | 'stale' | 'deleted';
  /** Variants this run produced (a `?sizes=` re-run merges into the document, which may hold more). */
  variants: number;
  errors: ImageError[];
  /** The instance processing the source as it is now, when this run's version had moved on (`superseded`). */
  handedOffTo?: string;
  /** Unused derivatives this run's cleanup deleted, when it ran one. */
  deletedDerivatives?: number;
}

export function summarize(
  outcomes: readonly ResizeOutcome[],
  written: WriteDocumentResult,
): OrchestrationSummary {
  return {
    documentId: written.documentId,
    status: written.ok ? written.status : written.reason,
    variants: outcomes.filter((outcome) => outcome.ok).length,
    errors: outcomeErrors(outcomes),
  };
}
