import { randomUUID } from 'node:crypto';

/** The subscription Azure would put in a topic; locally there is none, so zeros (the shape is what matters). */
export const LOCAL_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
export const LOCAL_RESOURCE_GROUP = 'local';

export type BlobCreatedApi = 'PutBlob' | 'PutBlockList' | 'CopyBlob';

export interface BlobCreatedEvent {
  topic: string;
  subject: string;
  eventType: 'Microsoft.Storage.BlobCreated';
  eventTime: string;
  id: string;
  data: {
    api: BlobCreatedApi;
    clientRequestId: string;
    requestId: string;
    eTag: string;
    contentType: string;
    contentLength: number;
    blobType: 'BlockBlob' | 'PageBlob' | 'AppendBlob';
    url: string;
    sequencer: string;
    storageDiagnostics: { batchId: string };
  };
  dataVersion: string;
  metadataVersion: '1';
}

export function storageAccountTopic(accountName: string): string {
  return `/subscriptions/${LOCAL_SUBSCRIPTION}/resourceGroups/${LOCAL_RESOURCE_GROUP}/providers/Microsoft.Storage/storageAccounts/${accountName}`;
}

/** `/blobServices/default/containers/{container}/blobs/{name}`, each path segment URL-encoded once. */
export function blobSubject(container: string, blobName: string): string {
  return `/blobServices/default/containers/${container}/blobs/${blobName.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * 32 hex digits that order one blob's events as strings: the blob's last-modified time, then a per-blob
 * counter for changes within the same clock tick.
 */
export function sequencer(lastModified: Date, sequence: number): string {
  return lastModified.getTime().toString(16).padStart(16, '0') + sequence.toString(16).padStart(16, '0');
}

/** A `Microsoft.Storage.BlobCreated` event in the Event Grid schema (event-schema-blob-storage.md). */
export function blobCreatedEvent(blob: {
  accountName: string;
  container: string;
  name: string;
  url: string;
  api: BlobCreatedApi;
  eTag: string;
  contentType: string | undefined;
  contentLength: number | undefined;
  blobType: 'BlockBlob' | 'PageBlob' | 'AppendBlob' | undefined;
  lastModified: Date;
  sequence: number;
}): BlobCreatedEvent {
  return {
    topic: storageAccountTopic(blob.accountName),
    subject: blobSubject(blob.container, blob.name),
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: blob.lastModified.toISOString(),
    id: randomUUID(),
    data: {
      api: blob.api,
      clientRequestId: randomUUID(),
      requestId: randomUUID(),
      eTag: blob.eTag,
      contentType: blob.contentType ?? 'application/octet-stream',
      contentLength: blob.contentLength ?? 0,
      blobType: blob.blobType ?? 'BlockBlob',
      url: blob.url,
      sequencer: sequencer(blob.lastModified, blob.sequence),
      storageDiagnostics: { batchId: randomUUID() },
    },
    dataVersion: '',
    metadataVersion: '1',
  };
}
