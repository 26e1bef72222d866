import { createHash } from 'node:crypto';

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** ETags travel quoted (`"0x8D…"`) in HTTP and Event Grid; identity uses the bare value. */
export function unquoteETag(eTag: string): string {
  return eTag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** sha256 of `{container}/{blob}@{eTag unquoted}`: the one hash both a version's instance id and its `{v}` come from. */
function sourceVersionHash(container: string, blobName: string, eTag: string): string {
  return sha256Hex(`${container}/${blobName}@${unquoteETag(eTag)}`);
}

/** Orchestration instance id: one per source version, so a redelivered event finds the same instance. */
export function instanceIdFor(container: string, blobName: string, eTag: string): string {
  return `img-${sourceVersionHash(container, blobName, eTag).slice(0, 32)}`;
}

/** Hex digits of `{v}`, the version segment of derivative names. */
export const VERSION_TAG_LENGTH = 12;

/**
 * `{v}` of the derivative names `{source blob name}/{v}/{label}.{ext}`: the first 12 hex digits of the same
 * sha256 as the instance id, so the derivatives of one source version are named by that version alone.
 */
export function versionTagFor(container: string, blobName: string, eTag: string): string {
  return sourceVersionHash(container, blobName, eTag).slice(0, VERSION_TAG_LENGTH);
}

/** Cosmos document id: one per source path, rewritten when the source changes. */
export function documentIdFor(container: string, blobName: string): string {
  return sha256Hex(`${container}/${blobName}`).slice(0, 32);
}
