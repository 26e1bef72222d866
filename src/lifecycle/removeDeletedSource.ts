import { ConcurrentWriteError } from '../domain/errors';
import { documentIdFor } from '../domain/ids';
import { arbitrateDelete, laterSequencer, storedVersionOf, WRITE_ATTEMPTS } from '../domain/sourceVersion';
import type { ImageTombstone } from '../domain/types';
import { blobClientOf, currentETag } from '../storage/blobs';
import {
  deleteUnusedDerivatives,
  type SourcePath,
  type UnusedDerivativeDeps,
  type UnusedDerivativesResult,
} from './unusedDerivatives';

/**
 * How long a tombstone outlives the delete: Event Grid redelivers an event for up to 24 hours and a run's
 * retries and re-drives finish within hours, so after a week nothing older than the delete can still arrive.
 */
export const TOMBSTONE_TTL_SECONDS = 7 * 24 * 3600;

/** A `BlobDeleted` event of a source: the path and the delete's sequencer. */
export interface DeletedSource extends SourcePath {
  sequencer: string;
}

export type RemoveResult =
  | { ok: true; derivatives: UnusedDerivativesResult }
  /**
   * `older`: the delete is older than what is stored (see `arbitrateDelete`): the document is the blob as it is
   * now (uploaded again after this delete), or, while another version exists, a later sequencer; nothing changed.
   */
  | { ok: false; reason: 'older' };

export interface RemoveDeps extends UnusedDerivativeDeps {
  now: () => Date;
  maxAttempts?: number;
}

/**
 * A source blob was deleted. When `arbitrateDelete` (src/domain/sourceVersion.ts) applies the delete, as it
 * always does once a HEAD finds the source gone, the document becomes a tombstone (so a run or event of an
 * older version arriving later writes nothing, see the stale-write guard) and every derivative no document can
 * use any more is deleted. Idempotent: a redelivered event, or a retry after a failure half-way, does the rest.
 */
export async function removeDeletedSource(deleted: DeletedSource, deps: RemoveDeps): Promise<RemoveResult> {
  const id = documentIdFor(deleted.container, deleted.blobName);
  const attempts = deps.maxAttempts ?? WRITE_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await currentETag(blobClientOf(deps.blobService, deleted.container, deleted.blobName));
    const entry = await deps.store.read(id);
    const stored =
      entry === undefined
        ? undefined
        : storedVersionOf(entry.kind === 'document' ? entry.document : entry.tombstone);
    if (arbitrateDelete(deleted.sequencer, stored, current) === 'older')
      return { ok: false, reason: 'older' };
    // A document's sequencer is not carried over: it may be a forged one the source has since contradicted.
    const sequencer =
      entry?.kind === 'tombstone'
        ? laterSequencer(entry.tombstone.sourceSequencer, deleted.sequencer)
        : deleted.sequencer;
    const tombstone: ImageTombstone = {
      id,
      deleted: true,
      sourceSequencer: sequencer,
      deletedAt: deps.now().toISOString(),
      ttl: TOMBSTONE_TTL_SECONDS,
    };
    const written =
      entry === undefined
        ? await deps.store.create(tombstone)
        : await deps.store.replace(tombstone, entry.eTag);
    if (written === 'conflict') continue;
    return { ok: true, derivatives: await deleteUnusedDerivatives(deleted, deps) };
  }
  throw new ConcurrentWriteError(`Document ${id}`, attempts);
}
