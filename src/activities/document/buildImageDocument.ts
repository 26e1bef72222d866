import { documentIdFor, unquoteETag } from '../../domain/ids';
import { laterSequencer } from '../../domain/sourceVersion';
import type {
  DocumentStatus,
  ImageDocument,
  ImageError,
  ProbedSource,
  ResizeOutcome,
  SourceInfo,
  Variant,
  WriteDocumentInput,
} from '../../domain/types';

/** `completed` when every size has a variant, `partial` when some do, `failed` when none do. */
export function documentStatus(variants: readonly Variant[], errors: readonly ImageError[]): DocumentStatus {
  if (variants.length === 0) return 'failed';
  return errors.length === 0 ? 'completed' : 'partial';
}

function okSource(outcomes: readonly ResizeOutcome[]): SourceInfo | undefined {
  for (const outcome of outcomes) if (outcome.ok) return outcome.source;
  return undefined;
}

/** What failed runs read of the source, the most complete first (a read header beats a detected format). */
function probedSource(outcomes: readonly ResizeOutcome[]): ProbedSource | undefined {
  const probed = outcomes.flatMap((outcome) =>
    !outcome.ok && outcome.source !== undefined ? [outcome.source] : [],
  );
  return probed.find((source) => source.width !== undefined) ?? probed[0];
}

function byLabel(a: { label?: string }, b: { label?: string }): number {
  return (a.label ?? '').localeCompare(b.label ?? '');
}

export interface BuildOptions {
  input: WriteDocumentInput;
  /**
   * The stored document for the SAME source version (same eTag), whose other labels this run merges into;
   * undefined when the run describes the version from scratch.
   */
  sameVersion: ImageDocument | undefined;
  /** `createdAt` of whatever document exists for this path (kept across versions). */
  createdAt: string | undefined;
  now: Date;
}

/**
 * Builds the docs/design.md document. A run for a version already described (a reprocess or a one-size re-run)
 * replaces only the labels it ran; the other labels' variants and errors are kept and the status is
 * recomputed over the merged set. A label this run failed on keeps its stored variant: it was made from
 * these same source bytes, and the failure is this run's (logged, and in the orchestration's output), not
 * a fact about the image worth erasing a good derivative for.
 */
export function buildImageDocument({ input, sameVersion, createdAt, now }: BuildOptions): ImageDocument {
  const { source, outcomes, instanceId } = input;
  const storedVariantLabels = new Set((sameVersion?.variants ?? []).map((variant) => variant.label));
  const replacedLabels = new Set(
    outcomes
      .filter((outcome) => outcome.ok || !storedVariantLabels.has(outcome.label))
      .map((outcome) => outcome.label),
  );
  const runLabels = new Set(outcomes.map((outcome) => outcome.label));
  const keptVariants = (sameVersion?.variants ?? []).filter((variant) => !replacedLabels.has(variant.label));
  const keptErrors = (sameVersion?.errors ?? []).filter(
    (error) => error.label !== undefined && !runLabels.has(error.label),
  );
  const runVariants = outcomes.flatMap((outcome) => (outcome.ok ? [outcome.variant] : []));
  const runErrors = outcomes.flatMap((outcome) =>
    !outcome.ok && replacedLabels.has(outcome.label) ? [{ ...outcome.error, label: outcome.label }] : [],
  );
  const variants = [...keptVariants, ...runVariants].sort(byLabel);
  const errors = [...keptErrors, ...runErrors].sort(byLabel);
  const detected = okSource(outcomes);
  const probed = probedSource(outcomes);
  const timestamp = now.toISOString();
  return {
    id: documentIdFor(source.container, source.blobName),
    sourceContainer: source.container,
    sourceBlobName: source.blobName,
    sourceLength: detected?.length ?? sameVersion?.sourceLength ?? source.contentLength,
    sourceFormat: detected?.format ?? probed?.format ?? sameVersion?.sourceFormat ?? null,
    sourceContentType: detected?.contentType ?? sameVersion?.sourceContentType ?? source.contentType,
    sourceWidth: detected?.width ?? probed?.width ?? sameVersion?.sourceWidth ?? null,
    sourceHeight: detected?.height ?? probed?.height ?? sameVersion?.sourceHeight ?? null,
    sourceETag: unquoteETag(source.eTag),
    sourceSequencer: laterSequencer(sameVersion?.sourceSequencer ?? '', source.sequencer),
    instanceId,
    status: documentStatus(variants, errors),
    createdAt: createdAt ?? timestamp,
    updatedAt: timestamp,
    variants,
    errors,
  };
}
