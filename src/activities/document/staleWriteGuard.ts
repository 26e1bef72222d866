import { unquoteETag } from '../../domain/ids';
import type { ImageDocument, WriteDocumentInput } from '../../domain/types';

/** What the writer does with one run's results, given the stored document. */
export type WriteDecision =
  | { action: 'skip'; reason: 'superseded' | 'stale' }
  /** Same source version: merge this run's labels into the stored document. */
  | { action: 'merge' }
  /** A newer (or first) version: describe it from scratch. */
  | { action: 'write' };

export interface GuardInput {
  input: WriteDocumentInput;
  existing: ImageDocument | undefined;
  /** The source blob's current eTag (a HEAD), asked only when the order is unknown; undefined if gone. */
  currentSourceETag: () => Promise<string | undefined>;
}

/**
 * The stale-write guard: an older source version never overwrites a newer one's document.
 * - Any `superseded` outcome: a newer upload exists, whose own run will write; write nothing.
 * - Same eTag as stored: the same version (a reprocess or one-size re-run); merge.
 * - Otherwise compare Event Grid sequencers (fixed-width hex per blob, so string order is event order).
 * - An empty sequencer on either side (a reprocess does not know its event) means the order is unknown: the
 *   run wins only if the blob still IS its version. A stored empty sequencer is not "the oldest": a late
 *   event of an older version would otherwise replace what a reprocess of the current version wrote.
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
  const runETag = unquoteETag(input.source.eTag);
  if (unquoteETag(existing.sourceETag) === runETag) return { action: 'merge' };
  if (input.source.sequencer === '' || existing.sourceSequencer === '') {
    const current = await currentSourceETag();
    return current !== undefined && unquoteETag(current) === runETag
      ? { action: 'write' }
      : { action: 'skip', reason: 'stale' };
  }
  return existing.sourceSequencer > input.source.sequencer
    ? { action: 'skip', reason: 'stale' }
    : { action: 'write' };
}
