import type { BlobServiceClient } from '@azure/storage-blob';
import type { PrepareSourceInput, PrepareSourceOutcome } from '../../domain/types';
import { ImageResourceError } from '../../domain/errors';
import { decodeOncePays, detectFormat, prepareIntermediate } from '../../imaging';
import type { SourceLimits } from '../../imaging/types';
import type { InvocationLogger } from '../../logging';
import { findIntermediate, intermediateBlobName, writeIntermediate } from '../../storage/intermediateBlob';
import { downloadSource } from '../resize/downloadSource';

export interface PrepareDeps {
  blobService: BlobServiceClient;
  scratchContainer: string;
  limits: SourceLimits;
}

/**
 * Decode once for a run: reuse this version's intermediate if an earlier attempt wrote it, else download the
 * source (If-Match), and when decoding once pays for its format, decode it into the intermediate. Problems
 * with the source are outcomes every size shares; anything transient throws so Durable retries.
 */
export async function prepareToOutcome(
  input: PrepareSourceInput,
  deps: PrepareDeps,
  log: InvocationLogger,
): Promise<PrepareSourceOutcome> {
  const { source, sizes } = input;
  if (sizes.length < 2) return { ok: true, readSource: 'one size decodes the source once anyway' };
  const blobName = intermediateBlobName(source, sizes);
  const existing = await findIntermediate(deps.blobService, deps.scratchContainer, blobName);
  if (existing !== undefined) {
    log.info('intermediate reused', { intermediate: blobName });
    return { ok: true, intermediate: existing };
  }

  const downloaded = await downloadSource(deps.blobService, source, deps.limits.maxSourceBytes);
  if (!downloaded.ok) return downloaded;
  const detected = detectFormat(downloaded.data);
  if (detected.kind === 'decodable' && !decodeOncePays(detected.format)) {
    return { ok: true, readSource: `${detected.format} shrinks on load: each size decodes it cheaply` };
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
