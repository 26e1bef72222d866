import { unquoteETag } from './ids';
import type { SourceRef } from './types';

/** A source version as a writer knows it: its eTag and Event Grid sequencer (empty when unknown). */
export type SourceVersion = Pick<SourceRef, 'eTag' | 'sequencer'>;

/**
 * How a run's source version compares with the one a stored result (document or derivative) was made from:
 * - `same`: the same eTag (a reprocess or a one-size re-run of that version);
 * - `newer` / `older`: by Event Grid sequencer (`compareSequencers`: hex numbers, so a 32-digit and a
 *   48-digit form of the same blob's sequencers still order right) (equal sequencers with different eTags count as `newer`: the later writer wins, as before);
 * - `unknown`: a sequencer is empty or absent on either side (a reprocess does not know its event, an older
 *   writer did not record it). A stored empty sequencer is NOT "the oldest": a late event of an older version
 *   would otherwise replace what a reprocess of the current version wrote. See `runIsCurrent`.
 * A stored eTag of undefined (something this pipeline did not write) is never the same version.
 */
export function compareSourceVersion(
  run: SourceVersion,
  stored: { eTag: string | undefined; sequencer: string | undefined },
): 'same' | 'newer' | 'older' | 'unknown' {
  if (stored.eTag !== undefined && unquoteETag(stored.eTag) === unquoteETag(run.eTag)) return 'same';
  const theirs = stored.sequencer ?? '';
  if (run.sequencer === '' || theirs === '') return 'unknown';
  return compareSequencers(theirs, run.sequencer) > 0 ? 'older' : 'newer';
}

/**
 * Orders two Event Grid sequencers of one blob: negative when `a` came first. They are zero-padded hex
 * numbers; the documented examples have 32 digits and live accounts send 48, sometimes upper-case, so they are
 * compared as numbers (significant length, then digits), never as raw strings of possibly different widths.
 */
export function compareSequencers(a: string, b: string): number {
  const x = a.toLowerCase().replace(/^0+/, '');
  const y = b.toLowerCase().replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * When the order is `unknown`, only the source blob can tell: the run wins only while the source still IS its
 * version. `currentSourceETag` is a HEAD of the source (undefined when it is gone), asked only in that case.
 */
export async function runIsCurrent(
  run: SourceVersion,
  currentSourceETag: () => Promise<string | undefined>,
): Promise<boolean> {
  const current = await currentSourceETag();
  return current !== undefined && unquoteETag(current) === unquoteETag(run.eTag);
}

/** The later of two sequencers (see `compareSequencers`); an empty one is earlier than any. */
export function laterSequencer(a: string, b: string): string {
  return compareSequencers(a, b) >= 0 ? a : b;
}

/** Read-decide-write rounds of a conditional write loop before it gives up and throws (Durable retries). */
export const WRITE_ATTEMPTS = 5;
