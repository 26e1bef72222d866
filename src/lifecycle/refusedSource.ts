import type { BlobClient } from '@azure/storage-blob';
import type { ErrorCode, ResizeOutcome } from '../domain/types';
import { setTagsOnVersion } from '../storage/blobs';

/**
 * A source the pipeline refused for good carries this blob index tag; the sources account's lifecycle
 * management rule `delete-refused-sources` (infra/app/storage.bicep) deletes blobs with it once they are
 * `refusedSourceDays` old. Lifecycle filters match tags by equality only, hence one fixed value.
 */
export const REFUSED_TAG = { name: 'outcome', value: 'refused' } as const;

/**
 * Outcomes that say the bytes themselves can never become an image here (a lying size, a non-image, a bomb):
 * reprocessing the same version gives the same answer. `source-missing`, `superseded` and `internal` are about
 * timing or our side, never the source, so they are not refusals.
 */
export const REFUSAL_CODES: readonly ErrorCode[] = [
  'not-an-image',
  'unsupported-format',
  'corrupt-image',
  'too-large',
  'too-many-pixels',
];

/**
 * Whether a run's outcomes refuse the source: every size produced nothing, and every error it has is a
 * refusal code (a format whose encoder failed is `internal`: never a refusal).
 */
export function refusesSource(outcomes: readonly ResizeOutcome[]): boolean {
  return (
    outcomes.length > 0 &&
    outcomes.every(
      (outcome) =>
        !outcome.ok &&
        outcome.errors.length > 0 &&
        outcome.errors.every((error) => REFUSAL_CODES.includes(error.code)),
    )
  );
}

/**
 * Tags the refused version of the source and no other (a newer upload at the same name is never left
 * marked; see setTagsOnVersion). `changed`/`absent`: nothing tagged, a newer version gets its own run.
 */
export function tagRefusedSource(source: BlobClient, eTag: string): Promise<'tagged' | 'absent' | 'changed'> {
  return setTagsOnVersion(source, eTag, { [REFUSED_TAG.name]: REFUSED_TAG.value });
}
