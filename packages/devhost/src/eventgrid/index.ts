export {
  createEventGridPublisher,
  DEFAULT_LEDGER_TABLE,
  type EventGridPublisher,
  type EventGridPublisherOptions,
} from './publisher';
export {
  blobCreatedEvent,
  blobSubject,
  storageAccountTopic,
  sequencer,
  type BlobCreatedEvent,
} from './blobCreatedEvent';
export { LOCAL_RETRY_DELAYS_MS } from './webhookDelivery';
