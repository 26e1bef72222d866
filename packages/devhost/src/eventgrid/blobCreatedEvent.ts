import { randomUUID } from 'node:crypto';
import type { BlobCreatedApi } from './blobOperation';

/** The subscription Azure would put in a topic; locally there is none, so zeros (the shape is what matters). */
export const LOCAL_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
export const LOCAL_RESOURCE_GROUP = 'local';

export type { BlobCreatedApi } from './blobOperation';

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
 * 32 hex digits, as in Azure's documented events (`00000000000004420000000000028963`), that order one blob's
 * events as strings: the blob's event counter (1, 2, …, kept across restarts by the delivery ledger) in fixed
 * width. A counter rather than a clock, so two writes within one clock tick, or a clock step back, still order.
 */
export function sequencer(sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 1)
    throw new Error(`Expected a positive integer for sequence but received ${sequence}`);
  return sequence.toString(16).padStart(32, '0');
}

/** A `Microsoft.Storage.BlobCreated` event in the Event Grid schema (event-schema-blob-storage.md). */
export function blobCreatedEvent(
  blob: StorageEventBlob & {
    api: BlobCreatedApi;
    eTag: string;
    contentLength: number | undefined;
    /** The event's time (the write's). */
    lastModified: Date;
  },
): BlobCreatedEvent {
  const { envelope, data } = storageEventParts(blob, blob.lastModified);
  return {
    ...envelope,
    eventType: 'Microsoft.Storage.BlobCreated',
    data: { api: blob.api, ...data, eTag: blob.eTag, contentLength: blob.contentLength ?? 0 },
    dataVersion: '',
    metadataVersion: '1',
  };
}

export interface BlobDeletedEvent {
  topic: string;
  subject: string;
  eventType: 'Microsoft.Storage.BlobDeleted';
  eventTime: string;
  id: string;
  data: {
    api: 'DeleteBlob';
    clientRequestId: string;
    requestId: string;
    contentType: string;
    blobType: 'BlockBlob' | 'PageBlob' | 'AppendBlob';
    url: string;
    sequencer: string;
    storageDiagnostics: { batchId: string };
  };
  dataVersion: string;
  metadataVersion: '1';
}

/** The storage events the local topic raises. */
export type BlobStorageEvent = BlobCreatedEvent | BlobDeletedEvent;

/**
 * A `Microsoft.Storage.BlobDeleted` event in the Event Grid schema: like BlobCreated without `eTag` and
 * `contentLength` (the version is gone), `api` = `DeleteBlob`.
 */
export function blobDeletedEvent(blob: StorageEventBlob & { time: Date }): BlobDeletedEvent {
  const { envelope, data } = storageEventParts(blob, blob.time);
  return {
    ...envelope,
    eventType: 'Microsoft.Storage.BlobDeleted',
    data: { api: 'DeleteBlob', ...data },
    dataVersion: '',
    metadataVersion: '1',
  };
}

/** The blob facts a storage event carries (absent ids and types take Azure's defaults). */
interface StorageEventBlob {
  accountName: string;
  container: string;
  name: string;
  url: string;
  /** The write's `x-ms-client-request-id` and `x-ms-request-id` (random when unknown). */
  clientRequestId?: string | undefined;
  requestId?: string | undefined;
  contentType: string | undefined;
  blobType: 'BlockBlob' | 'PageBlob' | 'AppendBlob' | undefined;
  /** The blob's event counter: see `sequencer`. */
  sequence: number;
}

/**
 * What BlobCreated and BlobDeleted share: the envelope (topic, subject, time, a fresh id) and the data fields
 * with Azure's defaults (random request ids when unknown, `application/octet-stream`, `BlockBlob`).
 */
function storageEventParts(blob: StorageEventBlob, time: Date) {
  return {
    envelope: {
      topic: storageAccountTopic(blob.accountName),
      subject: blobSubject(blob.container, blob.name),
      eventTime: time.toISOString(),
      id: randomUUID(),
    },
    data: {
      clientRequestId: blob.clientRequestId ?? randomUUID(),
      requestId: blob.requestId ?? randomUUID(),
      contentType: blob.contentType ?? 'application/octet-stream',
      blobType: blob.blobType ?? 'BlockBlob',
      url: blob.url,
      sequencer: sequencer(blob.sequence),
      storageDiagnostics: { batchId: randomUUID() },
    },
  };
}
