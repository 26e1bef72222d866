import { arbitrateWrite, storedVersionOf } from '../../domain/sourceVersion';
import type { ImageDocument, ImageTombstone, WriteDocumentInput, WriteSkipReason } from '../../domain/types';

/** What the writer does with one run's results, given what is stored. */
export type WriteDecision =
  | { action: 'skip'; reason: WriteSkipReason }
  /** Same source version: merge this run's labels into the stored document. */
  | { action: 'merge' }
  /** A newer (or first) version: describe it from scratch. */
  | { action: 'write' };

export interface GuardInput {
  input: WriteDocumentInput;
  /** The stored document, or the tombstone a BlobDeleted left, or nothing. */
  existing: ImageDocument | ImageTombstone | undefined;
  /**
   * The source blob's current eTag (a HEAD), undefined if gone; asked whenever nothing or something of another
   * version is stored, because storage, not the event's sequencer, decides first (see `arbitrateWrite`).
   */
  currentSourceETag: () => Promise<string | undefined>;
}

/**
 * The stale-write guard: an older source version never overwrites a newer one's document, nor resurrects a
 * deleted source.
 * - Any `superseded` outcome: the source changed after the event; the instance of its current version does
 *   the work (the orchestration hands it over); write nothing.
 * - Otherwise `arbitrateWrite` (src/domain/sourceVersion.ts) against what is stored and what the source is
 *   now: `same` merges, `newer` writes, `older` is `stale` (`deleted` against a tombstone), and a source that
 *   is gone is `deleted`.
 */
export async function decideWrite({
  input,
  existing,
  currentSourceETag,
}: GuardInput): Promise<WriteDecision> {
  if (input.outcomes.some((outcome) => outcome.errors.some((error) => error.code === 'superseded'))) {
    return { action: 'skip', reason: 'superseded' };
  }
  const stored = existing === undefined ? undefined : storedVersionOf(existing);
  switch (await arbitrateWrite(input.source, stored, currentSourceETag)) {
    case 'same':
      return { action: 'merge' };
    case 'newer':
      return { action: 'write' };
    case 'older':
      return { action: 'skip', reason: stored?.kind === 'tombstone' ? 'deleted' : 'stale' };
    case 'gone':
      return { action: 'skip', reason: 'deleted' };
  }
}
