import { unquoteETag } from '../../domain/ids';
import type { SourceRef } from '../../domain/types';

/** Which source version an existing derivative blob was made from (its metadata), and its own ETag. */
export interface ExistingDerivative {
  etag: string;
  /** Metadata `sourceetag`; undefined for a blob this pipeline did not write. */
  sourceETag: string | undefined;
  /** Metadata `sourcesequencer`; empty or undefined when its order is unknown (a reprocess, an older writer). */
  sourceSequencer: string | undefined;
}

export type DerivativeWriteDecision =
  /** Nothing there yet: create only (If-None-Match: *). */
  | { action: 'create' }
  /** Same or older source version: replace exactly the blob we looked at (If-Match its ETag). */
  | { action: 'overwrite'; etag: string }
  /** A newer source version's derivative is there (or ours is no longer the current source): leave it. */
  | { action: 'superseded'; reason: string };

/**
 * Whether this run may write its derivative over what is stored. Event Grid sequencers of one blob are
 * fixed-width hex, so string order is event order; an empty one (a reprocess does not know its event) has no
 * order, and then only the source blob itself can tell: the run wins only while the source still IS its
 * version (`currentSourceETag`, a HEAD, asked only in that case).
 */
export async function decideDerivativeWrite(
  source: Pick<SourceRef, 'eTag' | 'sequencer'>,
  existing: ExistingDerivative | undefined,
  currentSourceETag: () => Promise<string | undefined>,
): Promise<DerivativeWriteDecision> {
  if (existing === undefined) return { action: 'create' };
  const ours = unquoteETag(source.eTag);
  const overwrite = { action: 'overwrite', etag: existing.etag } as const;
  if (existing.sourceETag !== undefined && unquoteETag(existing.sourceETag) === ours) return overwrite;
  const theirs = existing.sourceSequencer ?? '';
  if (source.sequencer !== '' && theirs !== '') {
    return theirs > source.sequencer
      ? {
          action: 'superseded',
          reason: `The derivative was already made from a newer source version (sequencer ${theirs} > ${source.sequencer})`,
        }
      : overwrite;
  }
  const current = await currentSourceETag();
  return current !== undefined && unquoteETag(current) === ours
    ? overwrite
    : {
        action: 'superseded',
        reason: `The derivative's source order is unknown and the source is no longer version ${ours}`,
      };
}
