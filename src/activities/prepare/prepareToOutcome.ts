import type { BlobServiceClient } from '@azure/storage-blob';
import type { PrepareSourceInput, PrepareSourceOutcome } from '../../domain/types';
import { ImageResourceError } from '../../domain/errors';
import { decodeOncePays, detectFormat, prepareIntermediate } from '../../imaging';
import type { DecodableFormat, SourceLimits } from '../../imaging/types';
import type { InvocationLogger } from '../../logging';
import { findIntermediate, intermediateBlobName, writeIntermediate } from '../../storage/intermediateBlob';
import { downloadSource } from '../resize/downloadSource';
import { STORAGE_CALL_TIMEOUT_MS } from '../../storage/callTimeout';
import { readHeader } from '../resize/sourceHeader';
import { storedLabel } from '../resize/storedRendition';

/** Enough of the source to sniff its format: every signature `detectFormat` tells JPEG by is in the first bytes. */
const SNIFF_BYTES = 4096;

export interface PrepareDeps {
  blobService: BlobServiceClient;
  scratchContainer: string;
  limits: SourceLimits;
  /** The derivatives account and container: a plan whose every label is stored decodes nothing. */
  derivativeBlobService: BlobServiceClient;
  processedContainer: string;
}

/**
 * `readSource` when every label of the plan is stored for this version: the sizes re-record them (or record
 * `rendition-changed` for those stored with other settings) without decoding.
 */
export const NOTHING_TO_DECODE = 'every label of the plan is already stored: nothing to decode';

/**
 * Whether every label of the plan is already stored for this version (the same test each `resize-{label}` makes
 * before rendering, `storedLabel`: with these settings it re-records them, with others it records
 * `rendition-changed`): then no size decodes, and neither should this step. One listing per label.
 */
async function everyLabelStored(
  input: PrepareSourceInput,
  deps: PrepareDeps,
  /** Undefined: the format recorded on the stored blobs (`storedFormats`), before the source is read. */
  sourceFormat: DecodableFormat | undefined,
): Promise<boolean> {
  for (const spec of input.sizes) {
    const stored = await storedLabel(deps.derivativeBlobService, {
      processedContainer: deps.processedContainer,
      source: input.source,
      spec,
      sourceFormat,
      now: new Date(0),
    });
    if (stored === undefined) return false;
  }
  return true;
}

/**
 * Decode once for a run: reuse this version's intermediate if an earlier attempt wrote it, else download the
 * source (If-Match), and when decoding once pays for its format and some label of the plan is not stored yet
 * (`everyLabelStored`), decode it into the intermediate. Problems
 * with the source are outcomes every size shares; anything transient throws so Durable retries.
 */
export async function prepareToOutcome(
  input: PrepareSourceInput,
  deps: PrepareDeps,
  log: InvocationLogger,
): Promise<PrepareSourceOutcome> {
  const { source, sizes } = input;
  if (sizes.length < 2) return { ok: true, readSource: 'one size decodes the source once anyway' };
  const blobName = intermediateBlobName(source, sizes, input.instanceId);
  const existing = await findIntermediate(deps.blobService, deps.scratchContainer, blobName);
  if (existing !== undefined) {
    log.info('intermediate reused', { intermediate: blobName });
    return { ok: true, intermediate: existing };
  }

  // Every label stored (read from the derivatives' metadata): nothing to decode, and no source byte read.
  if (await everyLabelStored(input, deps, undefined)) {
    log.info('every label already stored; source not read');
    return { ok: true, readSource: NOTHING_TO_DECODE };
  }

  // Route by the bytes, never by the declared content type: the first bytes say JPEG or not.
  const head = await downloadSource(
    deps.blobService,
    source,
    deps.limits.maxSourceBytes,
    STORAGE_CALL_TIMEOUT_MS,
    SNIFF_BYTES,
  );
  if (!head.ok) return head;
  const sniffed = detectFormat(head.data);
  if (sniffed.kind === 'decodable' && !decodeOncePays(sniffed.format)) {
    return { ok: true, readSource: `${sniffed.format} shrinks on load: each size decodes it cheaply` };
  }
  const downloaded =
    head.data.length === source.contentLength
      ? head
      : await downloadSource(deps.blobService, source, deps.limits.maxSourceBytes);
  if (!downloaded.ok) return downloaded;
  const header = await readHeader(downloaded.data, deps.limits);
  if (header !== undefined && (await everyLabelStored(input, deps, header.format))) {
    log.info('every label already stored; no intermediate');
    return { ok: true, readSource: NOTHING_TO_DECODE };
  }
  let prepared;
  try {
    prepared = await prepareIntermediate(downloaded.data, sizes, deps.limits);
  } catch (error) {
    if (error instanceof ImageResourceError) throw error; // transient: Durable retries
    // A throw on bytes in memory would repeat on every retry: let each size try the source itself.
    log.error('intermediate failed', { error });
    return { ok: true, readSource: error instanceof Error ? error.message : String(error) };
  }
  if (!prepared.ok) return prepared;
  const { intermediate } = prepared;
  const ref = await writeIntermediate(deps.blobService, deps.scratchContainer, blobName, intermediate.data, {
    width: intermediate.width,
    height: intermediate.height,
    source: {
      ...intermediate.source,
      length: downloaded.data.length,
      contentType: downloaded.contentType,
    },
  });
  log.info('intermediate written', {
    intermediate: blobName,
    width: ref.width,
    height: ref.height,
    bytes: intermediate.data.length,
  });
  return { ok: true, intermediate: ref };
}
