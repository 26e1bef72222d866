import { ConcurrentWriteError } from '../domain/errors';
import { documentIdFor, unquoteETag } from '../domain/ids';
import {
  compareSequencers,
  compareSourceVersion,
  laterSequencer,
  WRITE_ATTEMPTS,
} from '../domain/sourceVersion';
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
   * `older`: the document describes a later version than the delete (a later sequencer, or the blob as it is
   * now: it was uploaded again after this delete, and that upload raised its own BlobCreated); nothing changed.
   */
  | { ok: false; reason: 'older' };

export interface RemoveDeps extends UnusedDerivativeDeps {
  now: () => Date;
  maxAttempts?: number;
}

/**
 * A source blob was deleted: its document becomes a tombstone (so a run or event of an older version arriving
 * later writes nothing, see the stale-write guard) and the derivatives of every version older than the delete
 * are deleted. Idempotent: a redelivered event, or a retry after a failure half-way, does the rest.
 */
export async function removeDeletedSource(deleted: DeletedSource, deps: RemoveDeps): Promise<RemoveResult> {
  const id = documentIdFor(deleted.container, deleted.blobName);
  const attempts = deps.maxAttempts ?? WRITE_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await currentETag(blobClientOf(deps.blobService, deleted.container, deleted.blobName));
    const entry = await deps.store.read(id);
    let sequencer = deleted.sequencer;
    if (entry?.kind === 'document') {
      const { document } = entry;
      if (current !== undefined && unquoteETag(current) === unquoteETag(document.sourceETag)) {
        return { ok: false, reason: 'older' };
      }
      const order = compareSourceVersion(
        { eTag: '', sequencer: deleted.sequencer },
        { eTag: document.sourceETag, sequencer: document.sourceSequencer },
      );
      if (order === 'older') return { ok: false, reason: 'older' };
    } else if (entry?.kind === 'tombstone') {
      if (compareSequencers(entry.tombstone.sourceSequencer, deleted.sequencer) > 0) {
        return { ok: false, reason: 'older' };
      }
      sequencer = laterSequencer(entry.tombstone.sourceSequencer, deleted.sequencer);
    }
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
