import { createHash } from 'node:crypto';

function sha256Prefix32(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}

/** ETags travel quoted (`"0x8D…"`) in HTTP and Event Grid; identity uses the bare value. */
export function unquoteETag(eTag: string): string {
  return eTag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** Orchestration instance id: one per source version, so a redelivered event finds the same instance. */
export function instanceIdFor(container: string, blobName: string, eTag: string): string {
  return `img-${sha256Prefix32(`${container}/${blobName}@${unquoteETag(eTag)}`)}`;
}

/** Cosmos document id: one per source path, rewritten when the source changes. */
export function documentIdFor(container: string, blobName: string): string {
  return sha256Prefix32(`${container}/${blobName}`);
}
