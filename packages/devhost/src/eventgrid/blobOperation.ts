/**
 * Which Blob REST operations raise a storage event, as Azure documents it (event-schema-blob-storage):
 * `Microsoft.Storage.BlobCreated` for Put Blob, Put Block List and Copy Blob once the blob is committed (also
 * their from-URL forms, and Put Blob creating an empty append or page blob), `Microsoft.Storage.BlobDeleted` for
 * Delete Blob (also each successful Delete Blob inside a Blob Batch: see blobBatch.ts), and nothing for Put Block,
 * Put Block From URL, Append Block, Put Page, Set Blob Metadata, Set Blob Properties, Set Blob Tier (batched or
 * not), Lease Blob, Snapshot Blob, tags or reads. Data Lake operations (`FlushWithClose`, `RenameFile`,
 * `DeleteFile`) go to the `dfs` endpoint, which the emulator does not serve, so the proxy never sees them.
 */

export type BlobCreatedApi = 'PutBlob' | 'PutBlockList' | 'CopyBlob';

export type EventRaisingOperation =
  | { event: 'Microsoft.Storage.BlobCreated'; api: BlobCreatedApi; lengthFromRequest: boolean }
  | { event: 'Microsoft.Storage.BlobDeleted'; api: 'DeleteBlob' };

export interface BlobAddress {
  account: string;
  container: string;
  /** Decoded once, as the subject carries it before its own per-segment encoding. */
  blobName: string;
}

/** A request header's value, whatever its case in the request (Node lower-cases incoming names). */
type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The blob a path-style request names, exactly as the storage service stores it, or undefined for account and
 * container requests. `rawPath` is the request target's path as sent (before any WHATWG normalization, which
 * would turn `\` into `/` and resolve `.`/`..` segments differently from the service). The steps are the
 * emulator's own (Azurite `extractStoragePartsFromPath`): the whole path is percent-decoded once, then split on
 * `/` (so an encoded `%2F` separates segments too), and every `\` in the blob name becomes `/`, which the
 * emulator does because the Azure Storage service does. An event must name the blob that exists, never the
 * spelling the client used.
 */
export function blobAddress(rawPath: string): BlobAddress | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined; // not valid percent-encoding: the service refuses it too
  }
  const [account, container, ...rest] = (decoded.startsWith('/') ? decoded.slice(1) : decoded).split('/');
  const blobName = rest.join('/').replace(/\\/g, '/');
  if (!account || !container || blobName === '') return undefined;
  return { account, container, blobName };
}

/** The path of a request target as sent: origin-form up to the query, or an absolute-form URL's path. */
export function rawPathOf(requestTarget: string): string {
  const path = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.test(requestTarget)
    ? requestTarget.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')
    : requestTarget;
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}

/**
 * The event a successful request raises, or undefined when it raises none. `lengthFromRequest`: the request's
 * Content-Length is the blob's (Put Blob); otherwise the blob's length is read after the write.
 */
export function eventRaisingOperation(
  method: string,
  query: URLSearchParams,
  headers: Headers,
): EventRaisingOperation | undefined {
  // A `restype` (container, service, account) or a snapshot/version address is not the base blob.
  if (query.has('restype') || query.has('snapshot') || query.has('versionid')) return undefined;
  const comp = query.get('comp');
  if (method === 'PUT') {
    if (comp === 'blocklist')
      return { event: 'Microsoft.Storage.BlobCreated', api: 'PutBlockList', lengthFromRequest: false };
    if (comp !== null) return undefined; // block, metadata, properties, tier, lease, snapshot, tags, page, appendblock…
    if (header(headers, 'x-ms-copy-source') !== undefined) {
      // Copy Blob, its synchronous form (Copy Blob From URL) and Put Blob From URL all commit a whole blob from a
      // source; Azure's event documentation names only the Copy Blob and Put Blob APIs.
      const fromUrlPut = header(headers, 'x-ms-blob-type') !== undefined;
      return {
        event: 'Microsoft.Storage.BlobCreated',
        api: fromUrlPut ? 'PutBlob' : 'CopyBlob',
        lengthFromRequest: false,
      };
    }
    if (header(headers, 'x-ms-blob-type') === undefined) return undefined;
    return { event: 'Microsoft.Storage.BlobCreated', api: 'PutBlob', lengthFromRequest: true };
  }
  if (method === 'DELETE' && comp === null) {
    // `x-ms-delete-snapshots: only` removes the snapshots and keeps the blob.
    if (header(headers, 'x-ms-delete-snapshots') === 'only') return undefined;
    return { event: 'Microsoft.Storage.BlobDeleted', api: 'DeleteBlob' };
  }
  return undefined;
}

/**
 * Set Blob Metadata and Set Blob Properties: they change the blob's eTag and raise no event. The proxy tells the
 * topic their new eTag, so its reconcile at start does not take them for content writes it missed.
 */
export function isPropertyWrite(method: string, query: URLSearchParams): boolean {
  if (method !== 'PUT' || query.has('restype') || query.has('snapshot') || query.has('versionid'))
    return false;
  const comp = query.get('comp');
  return comp === 'metadata' || comp === 'properties';
}
