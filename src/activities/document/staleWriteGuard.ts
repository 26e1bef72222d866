import { compareSourceVersion, runIsCurrent } from '../../domain/sourceVersion';
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
  /** The source blob's current eTag (a HEAD), asked only when the order is unknown; undefined if gone. */
  currentSourceETag: () => Promise<string | undefined>;
}

function isTombstone(existing: ImageDocument | ImageTombstone): existing is ImageTombstone {
  return 'deleted' in existing && existing.deleted;
}

/**
 * The stale-write guard: an older source version never overwrites a newer one's document, nor resurrects a
 * deleted source.
 * - Any `superseded` outcome: the source changed after the event; the instance of its current version does
 *   the work (the orchestration hands it over); write nothing.
 * - Otherwise `compareSourceVersion` against what is stored: `same` merges (a reprocess or a one-size re-run),
 *   `newer` writes, `older` is stale (or `deleted` against a tombstone), and `unknown` writes only while the
 *   source still IS this run's version (`runIsCurrent`). A tombstone has no eTag: only a version created
 *   after the delete (a later sequencer, or the blob as it is now) writes over it.
 */
export async function decideWrite({
  input,
  existing,
  currentSourceETag,
}: GuardInput): Promise<WriteDecision> {
  if (input.outcomes.some((outcome) => outcome.errors.some((error) => error.code === 'superseded'))) {
    return { action: 'skip', reason: 'superseded' };
  }
  if (existing === undefined) return { action: 'write' };
  const tombstone = isTombstone(existing);
  const stored = tombstone
    ? { eTag: undefined, sequencer: existing.sourceSequencer }
    : { eTag: existing.sourceETag, sequencer: existing.sourceSequencer };
  const older = { action: 'skip', reason: tombstone ? 'deleted' : 'stale' } as const;
  switch (compareSourceVersion(input.source, stored)) {
    case 'same':
      return { action: 'merge' };
    case 'newer':
      return { action: 'write' };
    case 'older':
      return older;
    case 'unknown':
      return (await runIsCurrent(input.source, currentSourceETag)) ? { action: 'write' } : older;
  }
}
