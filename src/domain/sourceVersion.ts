import { unquoteETag } from './ids';
import type { ImageDocument, ImageTombstone, SourceRef } from './types';

/** A source version as a writer knows it: its eTag and Event Grid sequencer (empty when unknown). */
export type SourceVersion = Pick<SourceRef, 'eTag' | 'sequencer'>;

/**
 * How a run's source version compares with the one a stored result (document or derivative) was made from, by
 * eTag and Event Grid sequencer alone. Callers that can ask storage use `arbitrateWrite` / `arbitrateDelete`,
 * which consult this only when the blob as it is now cannot decide:
 * - `same`: the same eTag (a reprocess or a one-size re-run of that version);
 * - `newer` / `older`: by Event Grid sequencer (`compareSequencers`: hex numbers, so a 32-digit and a
 *   48-digit form of the same blob's sequencers still order right) (equal sequencers with different eTags count as `newer`: the later writer wins, as before);
 * - `unknown`: a sequencer is empty or absent on either side (a reprocess does not know its event, an older
 *   writer did not record it). A stored empty sequencer is NOT "the oldest": a late event of an older version
 *   would otherwise replace what a reprocess of the current version wrote.
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

/** The later of two sequencers (see `compareSequencers`); an empty one is earlier than any. */
export function laterSequencer(a: string, b: string): string {
  return compareSequencers(a, b) >= 0 ? a : b;
}

/**
 * What is stored for a source path, as the arbitration rules see it: a document of one version, or the
 * tombstone a BlobDeleted left (no eTag: no version survives a delete).
 */
export type StoredVersion =
  { kind: 'document'; eTag: string; sequencer: string } | { kind: 'tombstone'; sequencer: string };

/** The version a stored document or tombstone records. */
export function storedVersionOf(stored: ImageDocument | ImageTombstone): StoredVersion {
  return 'sourceETag' in stored
    ? { kind: 'document', eTag: stored.sourceETag, sequencer: stored.sourceSequencer }
    : { kind: 'tombstone', sequencer: stored.sourceSequencer };
}

/**
 * Whether a finished run of version `run` may describe the path, given what is stored and what the source is
 * NOW (`current`: the eTag of a HEAD, undefined when the blob is gone). Storage is the arbiter wherever it can
 * answer; an event's sequencer is trusted only where it cannot, because a well-formed sequencer proves nothing
 * (anyone holding the webhook key can send `fff…`), while the blob's current eTag is a fact:
 * - `same`: the stored document is of this version (a re-run merges into it; no HEAD needed: a delete racing
 *   the merge re-decides on its conditional write);
 * - `gone`: the source no longer exists: nothing may be written for it (its BlobDeleted removes the rest);
 * - `newer`: the run IS the blob as it is now, whatever the sequencers say (it beats a stored version that is
 *   no longer current and a tombstone: the blob was created again after that delete);
 * - `older`: the stored document is the blob as it is now, whatever the sequencers say;
 * - neither version is current (both replaced since: a later upload, or a property write that raised no
 *   event): only then the sequencers order them (`compareSourceVersion`), and an unknown order is `older`
 *   (the run is not the source).
 * With nothing stored (`stored` undefined: the first write for the path) the source is asked too: `gone` when it
 * no longer exists (a forged BlobCreated, or a blob deleted before the run read it: no document for a source
 * that does not exist), otherwise `newer` (the first description of the path; a later version's run replaces it).
 * `current` is asked only when the stored entry is not of the run's version.
 */
export async function arbitrateWrite(
  run: SourceVersion,
  stored: StoredVersion | undefined,
  current: () => Promise<string | undefined>,
): Promise<'same' | 'newer' | 'older' | 'gone'> {
  if (stored?.kind === 'document' && sameETag(stored.eTag, run.eTag)) return 'same';
  const now = await current();
  if (now === undefined) return 'gone';
  if (stored === undefined) return 'newer';
  if (sameETag(now, run.eTag)) return 'newer';
  if (stored.kind === 'document' && sameETag(now, stored.eTag)) return 'older';
  const order = compareSourceVersion(run, {
    eTag: stored.kind === 'document' ? stored.eTag : undefined,
    sequencer: stored.sequencer,
  });
  return order === 'newer' ? 'newer' : 'older';
}

/**
 * Whether a BlobDeleted (with `sequencer`) applies to what is stored, given the source as it is NOW
 * (`current`, undefined when gone). Storage first:
 * - the source is gone: the delete applies whatever the stored document's sequencer says (a forged `fff…`
 *   cannot keep a deleted photo alive); if this delete is older than the one that removed the blob, that
 *   later delete is also on its way, so the end state is the same;
 * - the stored document is the blob as it is now: `older` (the blob was uploaded again after this delete);
 * - otherwise (a stored document of a version that is no longer current, while another version exists, or a
 *   tombstone): storage cannot order that version against this delete, so the sequencers do; an unknown order
 *   applies the delete (the stored version is not the source any more).
 * A tombstone is compared by sequencer alone: a delete older than the one recorded changes nothing (that one
 * did, or on redelivery does, the clean-up).
 */
export function arbitrateDelete(
  sequencer: string,
  stored: StoredVersion | undefined,
  current: string | undefined,
): 'apply' | 'older' {
  if (stored === undefined) return 'apply';
  if (stored.kind === 'tombstone')
    return compareSequencers(stored.sequencer, sequencer) > 0 ? 'older' : 'apply';
  if (current === undefined) return 'apply';
  if (sameETag(current, stored.eTag)) return 'older';
  return compareSourceVersion({ eTag: '', sequencer }, stored) === 'older' ? 'older' : 'apply';
}

function sameETag(a: string, b: string): boolean {
  return unquoteETag(a) === unquoteETag(b);
}

/** Read-decide-write rounds of a conditional write loop before it gives up and throws (Durable retries). */
export const WRITE_ATTEMPTS = 5;
