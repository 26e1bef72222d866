export {
  ALL_STORAGE_EVENT_TYPES,
  createEventGridPublisher,
  DEFAULT_LEDGER_TABLE,
  type EventGridPublisher,
  type EventGridPublisherOptions,
  type ListedBlob,
  type PropertyWrite,
  type ReconcileSource,
  type StorageEventType,
} from './publisher';
export {
  blobCreatedEvent,
  blobDeletedEvent,
  blobSubject,
  storageAccountTopic,
  sequencer,
  type BlobCreatedEvent,
  type BlobDeletedEvent,
  type BlobStorageEvent,
} from './blobCreatedEvent';
export {
  startBlobEventProxy,
  type BlobDescription,
  type BlobEventProxy,
  type BlobEventProxyOptions,
  type BlobWrite,
} from './blobEventProxy';
export { blobAddress, eventRaisingOperation, type BlobAddress } from './blobOperation';
export { LOCAL_RETRY_DELAYS_MS } from './webhookDelivery';
export { describeBlobWith } from './describeBlob';
export { emulatorContainer } from './reconcileSource';
