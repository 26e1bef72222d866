import { createHash } from 'node:crypto';
import { instanceIdFor, unquoteETag } from './ids';
import type { ImageDocument, OutputFormat, RequestedFormat, SizeSpec, Variant } from './types';

/**
 * Backfill contracts and the one decision rule: which stored images a backfill runs again, and for which sizes.
 * Pure: the activities bring the listing and the documents, this module decides.
 */

/**
 * - `missing`: no document, a document of another version than the blob's current one, or a requested
 *   (label, format) pair the document lacks (`source` resolved by the source's format);
 * - `failed`: a `failed`/`partial` document of the current version whose errors are re-drivable (`internal`);
 * - `all`: every image, every requested size.
 */
export const BACKFILL_MODES = ['missing', 'failed', 'all'] as const;
export type BackfillMode = (typeof BACKFILL_MODES)[number];

/** Error codes a new run of the SAME version can fix. The others are facts about the source (corrupt, too large…). */
export const REDRIVABLE_CODES: ReadonlySet<string> = new Set(['internal']);

/** What an operator asks for: `POST /api/backfill`. */
export interface BackfillRequest {
  /** Blob-name prefix in the source container; '' is every blob. */
  prefix: string;
  /** The sizes to (re)produce, full specs captured at start so replays never see a changed catalog. */
  sizes: SizeSpec[];
  only: BackfillMode;
}

/** One source blob as the listing reports it (its current version). */
export interface ListedBlob {
  name: string;
  /** Quoted as the service reports it. */
  eTag: string;
  contentLength: number;
  contentType: string;
}

/** Counters published as the backfill's custom status and carried across `continueAsNew`. */
export interface BackfillProgress {
  /** Blobs the listing returned so far. */
  listed: number;
  /** Runs started (or found already started by this backfill after a restart), each counted once. */
  started: number;
  /** Images that needed nothing (up to date for the requested sizes, or nothing re-drivable). */
  skipped: number;
  /** Started runs that ended with the requested sizes written (or found superseded by a newer version). */
  completed: number;
  /** Started runs that ended `failed`/`partial`, or whose instance failed or was terminated. */
  failed: number;
  /** Images waiting now for their upload's run to write the requested sizes (decided again after it). */
  waiting: number;
}

export const NO_PROGRESS: BackfillProgress = Object.freeze({
  listed: 0,
  started: 0,
  skipped: 0,
  completed: 0,
  failed: 0,
  waiting: 0,
});

export type BackfillDecision =
  | {
      run: true;
      sizes: SizeSpec[];
      reason: 'no-document' | 'other-version' | 'labels-absent' | 'redrivable-errors' | 'all';
    }
  | { run: false; reason: 'up-to-date' | 'not-redrivable' | 'no-result-of-this-version' };

/**
 * Whether the document has a variant for `format` of a label (`variants`: that label's). A named format needs
 * its own variant; `source` resolves by the source's format (docs/design.md): JPEG/PNG/WebP keep theirs, and
 * any other format is JPEG or, where the pixels use transparency, PNG, so either one answers it.
 */
function hasFormat(
  variants: readonly Variant[],
  format: RequestedFormat,
  sourceFormat: string | null,
): boolean {
  if (format !== 'source') return variants.some((variant) => variant.format === format);
  const kept = sourceFormat === null ? undefined : KEPT_SOURCE_FORMATS[sourceFormat];
  const accepted: readonly OutputFormat[] = kept === undefined ? ['jpeg', 'png'] : [kept];
  return variants.some((variant) => accepted.includes(variant.format));
}

/** Source formats a `source` rendition keeps (imaging/outputEncoding.ts `keptEncoding`). */
const KEPT_SOURCE_FORMATS: Readonly<Record<string, OutputFormat>> = {
  JPEG: 'jpeg',
  PNG: 'png',
  WEBP: 'webp',
};

/**
 * Whether every (label, format) `size` asks for is in the document: a requested pair absent from it is
 * missing work. A size without `formats` (an older plan) asks for the label in whatever format.
 */
function hasAllVariants(
  document: Pick<ImageDocument, 'variants'> & Partial<Pick<ImageDocument, 'sourceFormat'>>,
  size: SizeSpec,
): boolean {
  const variants = document.variants.filter((variant) => variant.label === size.label);
  if (variants.length === 0) return false;
  const formats: readonly RequestedFormat[] = Array.isArray(size.formats) ? size.formats : [];
  return formats.every((format) => hasFormat(variants, format, document.sourceFormat ?? null));
}

/**
 * Decides for one image. `document` is the image's document (undefined when none); `sizes` the requested sizes
 * (non-empty). The sizes returned are always a non-empty subset of `sizes`, in their order.
 */
export function decideBackfill(
  only: BackfillMode,
  blob: Pick<ListedBlob, 'eTag'>,
  document:
    | (Pick<ImageDocument, 'sourceETag' | 'status' | 'variants' | 'errors'> &
        Partial<Pick<ImageDocument, 'sourceFormat'>>)
    | undefined,
  sizes: readonly SizeSpec[],
): BackfillDecision {
  const sameVersion = document !== undefined && unquoteETag(document.sourceETag) === unquoteETag(blob.eTag);
  if (only === 'all') return { run: true, sizes: [...sizes], reason: 'all' };
  if (only === 'missing') {
    if (document === undefined) return { run: true, sizes: [...sizes], reason: 'no-document' };
    if (!sameVersion) return { run: true, sizes: [...sizes], reason: 'other-version' };
    const absent = sizes.filter((size) => !hasAllVariants(document, size));
    return absent.length > 0
      ? { run: true, sizes: absent, reason: 'labels-absent' }
      : { run: false, reason: 'up-to-date' };
  }
  // `failed`: only a result of THIS version can be re-driven; another version's document is `missing` work.
  if (!sameVersion) return { run: false, reason: 'no-result-of-this-version' };
  if (document.status === 'completed') return { run: false, reason: 'up-to-date' };
  const redrivable = document.errors.filter((error) => REDRIVABLE_CODES.has(error.code));
  // An error without a label concerns the whole run: every requested size is re-driven.
  const labels = new Set(redrivable.map((error) => error.label));
  const chosen = labels.has(undefined) ? [...sizes] : sizes.filter((size) => labels.has(size.label));
  return chosen.length > 0
    ? { run: true, sizes: chosen, reason: 'redrivable-errors' }
    : { run: false, reason: 'not-redrivable' };
}

/** Hex digits of sha256(backfill instance id) in a backfill run's id. */
const BACKFILL_TAG_LENGTH = 12;

/**
 * Instance id of the run a backfill starts for one image version: deterministic and independent of the sizes
 * decided, so an activity that runs again after a crash finds the run it started even when the document now
 * says "up to date". One backfill starts at most one run per image version.
 * `{instanceIdFor(version)}-b` + 12 hex of sha256(backfill instance id): under the version's own id like a
 * reprocess run (`-r…`), so one `instanceIdPrefix` query (`instanceIdFor(version)`) finds every run of a
 * version, whoever started it (see `runsOfVersion` in activities/backfill/startRuns.ts).
 */
export function backfillRunInstanceId(
  backfillInstanceId: string,
  container: string,
  blobName: string,
  eTag: string,
): string {
  const tag = createHash('sha256')
    .update(backfillInstanceId, 'utf8')
    .digest('hex')
    .slice(0, BACKFILL_TAG_LENGTH);
  return `${instanceIdFor(container, blobName, eTag)}-b${tag}`;
}

/** Whether `instanceId` is a backfill's run (`backfillRunInstanceId`, or the `bf-` ids it replaced). */
export function isBackfillRunInstanceId(instanceId: string): boolean {
  return /^img-[0-9a-f]{32}-b[0-9a-f]{12}$/.test(instanceId) || /^bf-[0-9a-f]{32}$/.test(instanceId);
}

/**
 * The run ids backfills used before runs moved under their version's id: `bf-` + 32 hex of sha256(backfill
 * instance, container/blob@eTag). Only for a backfill orchestration replaying a `startBackfillRuns` result
 * recorded before the result named its runs (`StartRunsResult.runIds`): those runs have these ids.
 */
export function legacyBackfillRunInstanceId(
  backfillInstanceId: string,
  container: string,
  blobName: string,
  eTag: string,
): string {
  const key = `${backfillInstanceId}\n${container}/${blobName}@${unquoteETag(eTag)}`;
  return `bf-${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32)}`;
}

/**
 * What `startBackfillRuns` did with one listed blob, one character per blob in input order (a string, so an
 * activity's output stays a few bytes per blob in the orchestration's history):
 * - `s`: its run is started (now, or found started by this backfill before a crash); its id is
 *   `backfillRunInstanceId(...)`;
 * - `u`: nothing to do (up to date, not re-drivable, or no result of this version for `failed`);
 * - `w`: another run of this version (the upload's own, a reprocess, another backfill's) will still write
 *   every requested size (its plan has them and its document is not written yet): the backfill waits for
 *   that run, then decides the blob again. Never counted as skipped: the sizes are not there yet.
 * The result names the run of each `s` and `w` (`StartRunsResult.runIds`).
 */
export type StartCode = 's' | 'u' | 'w';

/** What `checkBackfillRuns` found for one run, one character per id in input order: running, completed, failed. */
export type CheckCode = 'r' | 'c' | 'f';

/** Prefixes overlap when some blob name could start with both: one is a prefix of the other. */
export function prefixesOverlap(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** Instance ids of backfill orchestrations start with this, so listing and logs can tell them apart. */
export const BACKFILL_INSTANCE_PREFIX = 'backfill-';
