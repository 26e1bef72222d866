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

/** `completed` when every planned (label, format) has a variant, `partial` when some do, `failed` when none do. */
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

/** Label, then format: a stable order for variants and errors, whatever order the activities finished in. */
function byLabel(a: { label?: string; format?: string }, b: { label?: string; format?: string }): number {
  return (a.label ?? '').localeCompare(b.label ?? '') || (a.format ?? '').localeCompare(b.format ?? '');
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
  /**
   * The labels of the deployment's `IMAGE_SIZES` and `RETIRED_SIZES`, when the run asked for unlisted labels to
   * leave the document (`dropsUnlisted`); undefined keeps every label the run did not cover.
   */
  catalog?: ReadonlySet<string>;
}

/**
 * The variants and errors of the labels this run covered, merged with what is stored for the same source
 * version. Per (label, format): a variant this run produced replaces the stored one; a format this run
 * failed on keeps its stored variant (it was made from these same bytes: the failure is this run's, logged
 * and in the orchestration's output, not a fact about the image worth erasing a good derivative for), and
 * otherwise its error is recorded. A label that failed as a whole (no format reached) keeps all its stored
 * variants. Stored variants of a covered label in formats the run did not produce or fail on (a format
 * dropped from the plan) go. Labels the run did not cover keep their stored variants and errors, unless a
 * `catalog` is given (runs started with `prunesDropped`) and the label is not in it.
 */
function mergeLabels(
  outcomes: readonly ResizeOutcome[],
  stored: Pick<ImageDocument, 'variants' | 'errors'> | undefined,
  catalog: ReadonlySet<string> | undefined,
): { variants: Variant[]; errors: ImageError[] } {
  const runLabels = new Set(outcomes.map((outcome) => outcome.label));
  // With a catalog, a label neither this run nor the deployment plans or retires is no longer described.
  const kept = (label: string) => !runLabels.has(label) && (catalog === undefined || catalog.has(label));
  const variants = (stored?.variants ?? []).filter((variant) => kept(variant.label));
  const errors = (stored?.errors ?? []).filter((error) => error.label !== undefined && kept(error.label));
  for (const outcome of outcomes) {
    const storedOfLabel = (stored?.variants ?? []).filter((variant) => variant.label === outcome.label);
    variants.push(...outcome.variants);
    for (const error of outcome.errors) {
      const keep = storedOfLabel.filter(
        (variant) =>
          (error.format === undefined || variant.format === error.format) &&
          !variants.some((chosen) => chosen.label === variant.label && chosen.format === variant.format),
      );
      if (keep.length > 0) variants.push(...keep);
      else errors.push({ ...error, label: outcome.label });
    }
  }
  return { variants: variants.sort(byLabel), errors: errors.sort(byLabel) };
}

/**
 * Builds the document (docs/design.md "The document"): one variant per (label, format) (see `mergeLabels`
 * for how a run for a version already described, a reprocess or a one-size re-run, merges into it), the
 * status over the merged set, and the placeholder this run made (or, failing that, the one stored for the
 * same version).
 */
export function buildImageDocument({
  input,
  sameVersion,
  createdAt,
  now,
  catalog,
}: BuildOptions): ImageDocument {
  const { source, outcomes, instanceId } = input;
  const { variants, errors } = mergeLabels(outcomes, sameVersion, catalog);
  const placeholder = input.placeholder ?? sameVersion?.placeholder;
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
    ...(placeholder === undefined ? {} : { placeholder }),
    variants,
    errors,
  };
}
