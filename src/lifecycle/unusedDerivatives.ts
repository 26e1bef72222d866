import type { BlobServiceClient } from '@azure/storage-blob';
import { DERIVATIVE_METADATA, derivativePrefix, parseDerivativeBlobName } from '../domain/derivativeNames';
import { documentIdFor, versionTagFor } from '../domain/ids';
import { compareSequencers } from '../domain/sourceVersion';
import { blobClientOf, currentETag, deleteIfUnchanged } from '../storage/blobs';
import type { DocumentStore, StoredEntry } from '../storage/documentStore';
import { derivativeState } from './droppedDerivatives';

export interface UnusedDerivativeDeps {
  /** The images account: where the source is read (its current version). */
  blobService: BlobServiceClient;
  /** The derivatives account (`getDerivativesBlobService()`): where `processedContainer` is listed and deleted from. */
  derivativeBlobService: BlobServiceClient;
  processedContainer: string;
  store: DocumentStore;
}

/** One source path: the folder `{source blob name}/` of the processed container holds every version's derivatives. */
export interface SourcePath {
  container: string;
  blobName: string;
}

/** What a pass did: blob names deleted, and derivatives kept because a document or a run may still use them. */
export interface UnusedDerivativesResult {
  deleted: string[];
  kept: number;
}

/**
 * Whether the derivatives of version `versionTag` (made by a run whose event sequencer was `sequencer`, '' when
 * its order was unknown) can no longer be used by any document, given what is stored for the path and what the
 * source is now (`currentVersionTag`, undefined when the source is gone). It mirrors `arbitrateWrite`: kept are
 * the stored document's version, the source's current version (its run may be about to write), and, only
 * while neither of those two is the same version, a version whose sequencer is later than the stored one's (a
 * run still in flight that the sequencers would let write). Once the source is gone, or while the document is
 * the source as it is now, a sequencer, forged or not, keeps nothing. Every other version's writer is refused,
 * so nothing will ever point at it.
 */
export function isUnused(
  derivative: { versionTag: string; sequencer: string },
  stored: { versionTag: string | undefined; sequencer: string },
  currentVersionTag: string | undefined,
): boolean {
  if (derivative.versionTag === stored.versionTag || derivative.versionTag === currentVersionTag)
    return false;
  // Storage answers (see arbitrateWrite): once the source is gone, or while the stored document is the blob as
  // it is now, no other version's writer is let through, whatever its sequencer says.
  if (currentVersionTag === undefined || currentVersionTag === stored.versionTag) return true;
  if (derivative.sequencer === '') return true;
  // A stored sequencer of '' (a reprocess of unknown order wrote the document) cannot order anything.
  if (stored.sequencer === '') return false;
  return compareSequencers(derivative.sequencer, stored.sequencer) <= 0;
}

function storedVersion(
  path: SourcePath,
  entry: StoredEntry,
): { versionTag: string | undefined; sequencer: string } {
  return entry.kind === 'document'
    ? {
        versionTag: versionTagFor(path.container, path.blobName, entry.document.sourceETag),
        sequencer: entry.document.sourceSequencer,
      }
    : { versionTag: undefined, sequencer: entry.tombstone.sourceSequencer };
}

/**
 * Deletes the derivatives of every version of one source that no document can use any more (see `isUnused`):
 * replaced versions, versions that lost to a newer one mid-run and never got a document, and, after a delete
 * (a tombstone), every version older than the delete. Judged against the document or tombstone as stored now,
 * so it is safe to run at any time and any number of times; with nothing stored it deletes nothing while the
 * source exists, and everything once the source is gone (a run that lost to a delete before its first write). Each
 * delete is conditional on the eTag the listing returned, so a blob rewritten since is left alone.
 */
export async function deleteUnusedDerivatives(
  path: SourcePath,
  deps: UnusedDerivativeDeps,
): Promise<UnusedDerivativesResult> {
  const entry = await deps.store.read(documentIdFor(path.container, path.blobName));
  const result: UnusedDerivativesResult = { deleted: [], kept: 0 };
  const current = await currentETag(blobClientOf(deps.blobService, path.container, path.blobName));
  // Nothing stored while the source exists: its run may be about to write, so nothing is judged. Nothing stored
  // and the source gone: no writer may describe the path any more (see arbitrateWrite), so nothing is kept.
  if (entry === undefined && current !== undefined) return result;
  const stored = entry === undefined ? { versionTag: undefined, sequencer: '' } : storedVersion(path, entry);
  const currentVersionTag =
    current === undefined ? undefined : versionTagFor(path.container, path.blobName, current);

  const processed = deps.derivativeBlobService.getContainerClient(deps.processedContainer);
  const listing = processed.listBlobsFlat({ prefix: derivativePrefix(path.blobName), includeMetadata: true });
  for await (const item of listing) {
    const name = parseDerivativeBlobName(path.blobName, item.name);
    if (name === undefined) continue;
    const sequencer = item.metadata?.[DERIVATIVE_METADATA.sourceSequencer] ?? '';
    if (!isUnused({ versionTag: name.versionTag, sequencer }, stored, currentVersionTag)) {
      result.kept += 1;
      continue;
    }
    const blob = processed.getBlobClient(item.name);
    const outcome = await deleteIfUnchanged(blob, item.properties.etag);
    if (outcome === 'deleted') result.deleted.push(item.name);
    // Leased: a same-version cleanup holds it for at most CLAIM_SECONDS (droppedDerivatives.ts). Throwing lets
    // the caller's retry (Durable, or Event Grid's redelivery of a BlobDeleted) delete it once the lease is gone.
    else if (outcome === 'changed' && (await derivativeState(blob)) === 'leased') {
      throw new Error(`${item.name} is leased by a concurrent cleanup; retry once its lease is released`);
    }
  }
  return result;
}
