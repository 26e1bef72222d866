/** Contracts shared by the trigger, the orchestrator and the activities (see docs/app.md). */

/** How a rendition fills its box: `inside` fits within it; `cover` fills it exactly and crops the overflow. */
export type Fit = 'inside' | 'cover';
/** Where a `cover` crop is taken: the centre, or sharp's `attention` (salient region) / `entropy` strategies. */
export type CropPosition = 'centre' | 'attention' | 'entropy';
/** A format a rendition is asked for; `source` is the v1 rule (see imaging/outputEncoding.ts). */
export type RequestedFormat = 'source' | 'jpeg' | 'webp' | 'avif';

/**
 * One rendition of `IMAGE_SIZES` (docs/design.md "Renditions"), with every default filled in by config/sizes.ts
 * so the plan captured in the orchestration input is explicit. Never enlarged, whatever the fit.
 */
export interface SizeSpec {
  /** Short name used in blob names and activity names: `resize-{label}`. */
  label: string;
  /** Box in pixels; `inside` needs at least one of them (the other is then unbounded), `cover` both. */
  width?: number;
  height?: number;
  fit: Fit;
  /** `cover` only (default `centre`); absent for `inside`, which crops nothing. */
  position?: CropPosition;
  /** Non-empty, no exact duplicates; each becomes one derivative (a resolved duplicate is produced once). */
  formats: RequestedFormat[];
  /** 1-100, passed to every lossy encoder of this label; unset: each format's measured default. */
  quality?: number;
}

/** The source blob version an orchestration works on; captured from the Event Grid event. */
export interface SourceRef {
  container: string;
  blobName: string;
  /** The blob's ETag as Event Grid reported it (with or without quotes). */
  eTag: string;
  /** Event Grid `data.sequencer`: string order is event order for one blob. */
  sequencer: string;
  contentLength: number;
  contentType: string;
}

/** Durable activity retries for transient errors (network, 5xx, throttling) within one round of a size. */
export interface TransientRetry {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient: number;
  maxRetryIntervalInMilliseconds: number;
}

/** How an orchestration retries its sizes; captured at start like the size plan, so a replay never changes. */
export interface RetryPlan {
  transient: TransientRetry;
  /**
   * Seconds to wait (durable timers) before each later round that re-runs only the sizes whose transient
   * retries were all used up (`internal`); empty for none. Permanent outcomes are never re-run.
   */
  redriveDelaysSeconds: number[];
}

/** Orchestration input: the source plus the size plan captured at start, so replays never see a changed plan. */
export interface ResizeOrchestrationInput {
  source: SourceRef;
  sizes: SizeSpec[];
  /** Absent in instances started before re-drive existed: the default transient retries, no re-drive. */
  retry?: RetryPlan;
  /**
   * `REPLACED_DERIVATIVES_GRACE_SECONDS` when the instance started, so the replay never reads a setting;
   * absent in instances started before it existed (the default then applies).
   */
  replacedGraceSeconds?: number;
  /*
   * The behaviour flags below are set for every new run by `newRunInput` (domain/runInput.ts), the one place
   * that builds a new run's input; an instance started before a flag existed replays without it, so the
   * orchestrator reads "absent" as the old behaviour.
   */
  /**
   * Whether each fan-out round first asks `findUnregisteredSizes` (see orchestrators/registeredRound.ts).
   * Absent: no check, as the recorded histories of older instances have it (an extra activity in their replay
   * would not match).
   */
  checksRegistration?: boolean;
  /**
   * Whether the fan-out runs the placeholder activity after the sizes. Absent: no placeholder task, as in
   * instances started before placeholders existed.
   */
  placeholder?: boolean;
  /**
   * Whether every multi-size plan asks `prepareSource` first, which routes by the source's bytes (so a HEIC
   * declared `image/jpeg` is decoded once too). Absent: routing by the declared content type, as the recorded
   * histories of older instances did.
   */
  routeByBytes?: boolean;
  /**
   * Whether the run, once its document is written, deletes the derivatives of its own source version that its
   * plan no longer produces (formats dropped from a planned label; labels in neither `IMAGE_SIZES` nor
   * `RETIRED_SIZES`), see lifecycle/droppedDerivatives.ts. Set by every starter; absent in instances started
   * before it existed, which replay their recorded schedule and keep such derivatives.
   */
  prunesDropped?: boolean;
}

/** Input of the hand-off activity: the run's own input, whose source version moved on. */
export interface HandOffInput {
  orchestration: ResizeOrchestrationInput;
}

/**
 * What the hand-off did: `started` or `running` (someone else, e.g. the version's own BlobCreated, started
 * it first): the instance of the current version owns the source now; `source-missing`: it was deleted.
 */
export type HandOffResult =
  { ok: true; instanceId: string; started: boolean } | { ok: false; reason: 'source-missing' | 'unchanged' };

/** Input of the placeholder activity: the same source version the sizes read. */
export interface PlaceholderActivityInput {
  source: SourceRef;
  instanceId: string;
  /** Decode once: the run's intermediate, read instead of the source when it is still there. */
  intermediate?: IntermediateRef;
}

/** Input of one `resize-{label}` activity. */
export interface ResizeActivityInput {
  source: SourceRef;
  size: SizeSpec;
  instanceId: string;
  /** Decode once: the size starts from these pixels instead of decoding the source (see `prepareSource`). */
  intermediate?: IntermediateRef;
}

/**
 * The decoded pixels of one source version at the plan's largest size (oriented, 8-bit sRGB, as an
 * uncompressed TIFF), in the scratch container: never in `images-processed`, deleted when the run ends.
 */
export interface IntermediateRef {
  container: string;
  blobName: string;
  eTag: string;
  width: number;
  height: number;
  /** The source as the decode found it: what every size reports and encodes by. */
  source: SourceInfo & { hasAlpha: boolean };
}

/** Input of the `prepareSource` activity: the version and the plan whose largest size the intermediate serves. */
export interface PrepareSourceInput {
  source: SourceRef;
  sizes: SizeSpec[];
  instanceId: string;
}

/**
 * What `prepareSource` found: an intermediate to read, or "read the source" (decoding once does not pay for
 * it, e.g. JPEG), or a permanent problem with the source that every size would hit alike.
 */
export type PrepareSourceOutcome =
  | { ok: true; intermediate: IntermediateRef }
  | { ok: true; readSource: string }
  | { ok: false; error: ImageError; source?: ProbedSource };

export const ERROR_CODES = [
  'not-an-image',
  'unsupported-format',
  'corrupt-image',
  'too-large',
  'too-many-pixels',
  'unsupported-blob-type',
  'source-missing',
  'superseded',
  /**
   * A format's output exceeds what that format can hold (WebP 16383 px a side; AVIF as libheif/aom allow):
   * permanent for this source and rendition, the label's other formats are kept.
   */
  'too-large-for-format',
  /**
   * The label's settings changed since this source version's derivative was written: the stored derivative
   * (and its real dimensions) is kept, never overwritten; new settings need a new label.
   */
  'rendition-changed',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ImageError {
  label?: string;
  /** The output format that failed, when one format of a label failed and the others may have succeeded. */
  format?: OutputFormat;
  code: ErrorCode;
  message: string;
}

/** Output formats a derivative can have; the value is sharp's format id. */
export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif';

export interface Variant {
  label: string;
  width: number;
  height: number;
  contentType: string;
  format: OutputFormat;
  blobName: string;
  url: string;
  sizeBytes: number;
  eTag: string;
  lastModified: string;
  createdAt: string;
}

/** What the source turned out to be; every successful resize reports it. */
export interface SourceInfo {
  /** Detected format in upper case, e.g. "JPEG". */
  format: string;
  width: number;
  height: number;
  length: number;
  contentType: string;
}

/**
 * What was learned about the source before it failed: the detected format, and the displayed dimensions
 * once the header was read. A `failed` document still describes the source with it.
 */
export interface ProbedSource {
  /** Upper case, as detection names it: "JPEG", "BMP", "HEIC". */
  format: string;
  width?: number;
  height?: number;
}

/**
 * A `resize-{label}` activity's typed result: permanent problems are outcomes, transient ones throw.
 * `ok` when at least one format of the label was produced: `variants` has one entry per format produced,
 * `errors` one per format that failed (with `format`). Not `ok` when the label produced nothing: `errors`
 * then holds the reason (a source problem has no `format`; failed formats each have theirs), and `source`
 * what the run read of the source (format, and dimensions once the header was read).
 */
export type ResizeOutcome =
  | { ok: true; label: string; variants: Variant[]; errors: ImageError[]; source: SourceInfo }
  | { ok: false; label: string; variants: []; errors: ImageError[]; source?: ProbedSource };

/** A blurred stand-in a page shows while the photo loads (docs/design.md "The document"). */
export interface Placeholder {
  /** ThumbHash bytes, base64 (standard alphabet, padded). */
  thumbhash: string;
  /** `#rrggbb`, lower-case hex, sRGB. */
  dominantColor: string;
}

/** The placeholder activity's result; it never fails the image: not `ok` says why there is no placeholder. */
export type PlaceholderOutcome = { ok: true; placeholder: Placeholder } | { ok: false; reason: string };

/** `findUnregisteredSizes`' input: the labels about to be scheduled; it answers the unregistered ones. */
export interface FindUnregisteredSizesInput {
  instanceId: string;
  blobName: string;
  labels: string[];
}

export interface WriteDocumentInput {
  instanceId: string;
  source: SourceRef;
  outcomes: ResizeOutcome[];
  /** Absent when the placeholder could not be made (or an older orchestration did not ask for one). */
  placeholder?: Placeholder;
  /**
   * Runs started with `prunesDropped`: stored variants and errors of labels in neither this run's plan nor the
   * deployment's catalog (`IMAGE_SIZES` and `RETIRED_SIZES`) leave the document, so the run's cleanup may delete
   * their derivatives. Absent: labels the run did not cover are kept whatever the catalog says.
   */
  dropsUnlisted?: boolean;
}

export type DocumentStatus = 'completed' | 'partial' | 'failed';

export interface ImageDocument {
  id: string;
  sourceContainer: string;
  sourceBlobName: string;
  sourceLength: number;
  sourceFormat: string | null;
  sourceContentType: string;
  sourceWidth: number | null;
  sourceHeight: number | null;
  sourceETag: string;
  sourceSequencer: string;
  instanceId: string;
  status: DocumentStatus;
  createdAt: string;
  updatedAt: string;
  placeholder?: Placeholder;
  variants: Variant[];
  errors: ImageError[];
}

/**
 * What stays of a deleted source's document for a while: the delete's sequencer, so that a run or an event of
 * an older version, arriving after the delete, knows it is older and writes nothing. It carries no name or
 * image data (the user deleted them). `ttl` (seconds) lets Cosmos DB expire it where the container has TTL on.
 */
export interface ImageTombstone {
  id: string;
  deleted: true;
  sourceSequencer: string;
  deletedAt: string;
  ttl: number;
}

/**
 * Why a run wrote no document: `superseded` (its source changed after the event: the run handed the source
 * over to the instance of its current version), `stale` (the document describes a newer version) or
 * `deleted` (the source was deleted after this version: the document is a tombstone, or the source is gone).
 */
export type WriteSkipReason = 'superseded' | 'stale' | 'deleted';

/** What the document writer did, returned to the orchestrator as its output. */
export type WriteDocumentResult =
  /** `replacedVersion`: the write replaced another source version's document (its derivatives are now unused). */
  | {
      ok: true;
      documentId: string;
      status: DocumentStatus;
      replacedVersion: boolean;
      /**
       * Variants of this version the stored document named and this write no longer does (a dropped format or
       * label): pages rendered before may still ask for them, so their cleanup waits the grace period. Absent
       * when none.
       */
      droppedVariants?: number;
    }
  | { ok: false; documentId: string; reason: WriteSkipReason };

/**
 * The input of `deleteDroppedDerivatives`: the run's source version and, per label of its plan, the output
 * formats its final outcomes account for (variants made or found, and formats that failed), or null when the
 * label failed as a whole (nothing is known about its formats, so none of its derivatives is judged).
 */
export interface DeleteDroppedInput {
  source: SourceRef;
  instanceId: string;
  planned: { label: string; formats: OutputFormat[] | null }[];
}

/** The input of `deleteIntermediate`: the intermediate a run used, and the run (for its log lines). */
export interface DeleteIntermediateInput {
  intermediate: IntermediateRef;
  instanceId: string;
  /** The source blob's name. */
  blobName: string;
}
