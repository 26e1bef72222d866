import type { BlobClient } from '@azure/storage-blob';
import type { ErrorCode, ResizeOutcome } from '../domain/types';
import { deleteIfUnchanged, setTagsOnVersion } from '../storage/blobs';

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
  'unsupported-blob-type',
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

/**
 * What becomes of a refused version: a page or append blob (`unsupported-blob-type`) is deleted at once
 * (If-Match its eTag), because lifecycle rules never act on page blobs, and nothing the site or the CLI makes is
 * one; its snapshots (a create-only SAS allows Snapshot Blob) go with it. Its BlobDeleted then turns the
 * document into a tombstone like any delete. Every other refusal is tagged for the lifecycle rule, so the
 * document keeps saying why for `refusedSourceDays`.
 */
export async function disposeRefusedSource(
  source: BlobClient,
  eTag: string,
  outcomes: readonly ResizeOutcome[],
): Promise<'tagged' | 'deleted' | 'absent' | 'changed'> {
  const notBlockBlob = outcomes.some((outcome) =>
    outcome.errors.some((error) => error.code === 'unsupported-blob-type'),
  );
  return notBlockBlob
    ? deleteIfUnchanged(source, eTag, { withSnapshots: true })
    : tagRefusedSource(source, eTag);
}
