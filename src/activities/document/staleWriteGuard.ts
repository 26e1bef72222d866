import { compareSourceVersion, runIsCurrent } from '../../domain/sourceVersion';
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
 * - Otherwise `compareSourceVersion` against the stored document: `same` merges (a reprocess or a one-size
 *   re-run), `newer` writes, `older` is stale, and `unknown` writes only while the source still IS this
 *   run's version (`runIsCurrent`).
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
  const stored = { eTag: existing.sourceETag, sequencer: existing.sourceSequencer };
  switch (compareSourceVersion(input.source, stored)) {
    case 'same':
      return { action: 'merge' };
    case 'newer':
      return { action: 'write' };
    case 'older':
      return { action: 'skip', reason: 'stale' };
    case 'unknown':
      return (await runIsCurrent(input.source, currentSourceETag))
        ? { action: 'write' }
        : { action: 'skip', reason: 'stale' };
  }
}
