import { unquoteETag } from '../../domain/ids';
import { compareSourceVersion, runIsCurrent } from '../../domain/sourceVersion';
import type { SourceRef } from '../../domain/types';

/** Which source version an existing derivative blob was made from (its metadata), and its own eTag. */
export interface ExistingDerivative {
  eTag: string;
  /** Metadata `sourceetag`; undefined for a blob this pipeline did not write. */
  sourceETag: string | undefined;
  /** Metadata `sourcesequencer`; empty or undefined when its order is unknown (a reprocess, an older writer). */
  sourceSequencer: string | undefined;
}

export type DerivativeWriteDecision =
  /** Nothing there yet: create only (If-None-Match: *). */
  | { action: 'create' }
  /** Same or older source version: replace exactly the blob we looked at (If-Match its eTag). */
  | { action: 'overwrite'; eTag: string }
  /** A newer source version's derivative is there (or ours is no longer the current source): leave it. */
  | { action: 'superseded'; reason: string };

/** Whether this run may write its derivative over what is stored, by `compareSourceVersion`. */
export async function decideDerivativeWrite(
  source: Pick<SourceRef, 'eTag' | 'sequencer'>,
  existing: ExistingDerivative | undefined,
  currentSourceETag: () => Promise<string | undefined>,
): Promise<DerivativeWriteDecision> {
  if (existing === undefined) return { action: 'create' };
  const overwrite = { action: 'overwrite', eTag: existing.eTag } as const;
  const theirs = existing.sourceSequencer ?? '';
  switch (compareSourceVersion(source, { eTag: existing.sourceETag, sequencer: theirs })) {
    case 'same':
    case 'newer':
      return overwrite;
    case 'older':
      return {
        action: 'superseded',
        reason: `The derivative was already made from a newer source version (sequencer ${theirs} > ${source.sequencer})`,
      };
    case 'unknown':
      return (await runIsCurrent(source, currentSourceETag))
        ? overwrite
        : {
            action: 'superseded',
            reason: `The derivative's source order is unknown and the source is no longer version ${unquoteETag(source.eTag)}`,
          };
  }
}
