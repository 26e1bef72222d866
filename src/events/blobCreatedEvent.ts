import type { SourceRef } from '../domain/types';
import { describeReceived } from '../domain/validation';
import { blobNameProblem } from './blobName';
import { parseBlobSubject } from './subject';
import { storageAccountFromTopic } from './topic';
import { eTagProblem, normalizedSequencer, sequencerProblem } from './versionFields';

export const BLOB_CREATED_EVENT_TYPE = 'Microsoft.Storage.BlobCreated';

/**
 * Blob REST calls after which the blob's content is complete. `CreateFile` / `SftpCreate` (empty files that are
 * filled later) and everything else are ignored; DESIGN.md fixes this list.
 */
export const ACCEPTED_BLOB_APIS: readonly string[] = Object.freeze([
  'PutBlob',
  'PutBlockList',
  'CopyBlob',
  'FlushWithClose',
]);

/** Why an event starts no work. Each reason is logged once; none of them is worth an Event Grid retry. */
export type IgnoreReason =
  | 'malformed-event'
  | 'not-blob-created'
  | 'unsupported-api'
  | 'malformed-topic'
  | 'other-account'
  | 'malformed-subject'
  | 'other-container'
  | 'missing-data-field'
  | 'malformed-etag'
  | 'malformed-sequencer'
  | 'unsafe-blob-name';

export type ParsedBlobCreatedEvent =
  { ok: true; source: SourceRef } | { ok: false; reason: IgnoreReason; detail: string };

export interface EventFilter {
  /** The configured images storage account; compared case-insensitively (account names are lower case). */
  accountName: string;
  unprocessedContainer: string;
}

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function ignored(reason: IgnoreReason, detail: string): ParsedBlobCreatedEvent {
  return { ok: false, reason, detail };
}

/** Event Grid schema names the fields `eventType`/`topic`; CloudEvents 1.0 names them `type`/`source`. */
function envelope(event: Fields): { type: unknown; topic: unknown } {
  const isCloudEvent =
    event.specversion !== undefined || (event.eventType === undefined && event.type !== undefined);
  return isCloudEvent
    ? { type: event.type, topic: event.source }
    : { type: event.eventType, topic: event.topic };
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** The data fields a SourceRef needs, or the name of the first one that is missing or of the wrong type. */
function sourceData(
  data: Fields,
):
  | ({ ok: true } & Omit<SourceRef, 'container' | 'blobName'>)
  | { ok: false; missing: string; value: unknown } {
  const { eTag, sequencer, contentLength, contentType } = data;
  if (!nonEmptyString(eTag)) return { ok: false, missing: 'data.eTag (a non-empty string)', value: eTag };
  if (!nonEmptyString(sequencer))
    return { ok: false, missing: 'data.sequencer (a non-empty string)', value: sequencer };
  if (typeof contentLength !== 'number' || !Number.isSafeInteger(contentLength) || contentLength < 0) {
    return { ok: false, missing: 'data.contentLength (a non-negative integer)', value: contentLength };
  }
  if (!nonEmptyString(contentType))
    return { ok: false, missing: 'data.contentType (a non-empty string)', value: contentType };
  return { ok: true, eTag, sequencer, contentLength, contentType };
}

/**
 * Decides whether an Event Grid delivery is a finished upload into our unprocessed container. Pure: no I/O,
 * and `data.url` is never read, so an event cannot point the function at an arbitrary host.
 */
export function parseBlobCreatedEvent(event: unknown, filter: EventFilter): ParsedBlobCreatedEvent {
  if (!isRecord(event))
    return ignored('malformed-event', `Expected an event object but received ${describeReceived(event)}`);
  const { type, topic } = envelope(event);
  if (type !== BLOB_CREATED_EVENT_TYPE) {
    return ignored(
      'not-blob-created',
      `Expected ${BLOB_CREATED_EVENT_TYPE} for the event type but received ${describeReceived(type)}`,
    );
  }
  const data = event.data;
  if (!isRecord(data))
    return ignored('malformed-event', `Expected an object for data but received ${describeReceived(data)}`);
  if (typeof data.api !== 'string' || !ACCEPTED_BLOB_APIS.includes(data.api)) {
    return ignored(
      'unsupported-api',
      `Expected one of ${ACCEPTED_BLOB_APIS.join(', ')} for data.api but received ${describeReceived(data.api)}`,
    );
  }

  const account = typeof topic === 'string' ? storageAccountFromTopic(topic) : undefined;
  if (account === undefined) {
    return ignored(
      'malformed-topic',
      `Expected a storage account resource id for the topic but received ${describeReceived(topic)}`,
    );
  }
  if (account.toLowerCase() !== filter.accountName.toLowerCase()) {
    return ignored(
      'other-account',
      `Expected storage account ${filter.accountName} but received ${describeReceived(account)}`,
    );
  }

  if (typeof event.subject !== 'string') {
    return ignored(
      'malformed-subject',
      `Expected a blob subject but received ${describeReceived(event.subject)}`,
    );
  }
  const subject = parseBlobSubject(event.subject);
  if (!subject.ok) {
    return ignored(
      'malformed-subject',
      `Expected a blob subject but received ${describeReceived(event.subject)}: ${subject.problem}`,
    );
  }
  if (subject.container !== filter.unprocessedContainer) {
    return ignored(
      'other-container',
      `Expected container ${filter.unprocessedContainer} but received ${describeReceived(subject.container)}`,
    );
  }

  const fields = sourceData(data);
  if (!fields.ok) {
    return ignored(
      'missing-data-field',
      `Expected ${fields.missing} but received ${describeReceived(fields.value)}`,
    );
  }
  const badETag = eTagProblem(fields.eTag);
  if (badETag !== undefined) {
    return ignored(
      'malformed-etag',
      `Expected a strong entity tag for data.eTag but received ${describeReceived(fields.eTag)}: ${badETag}`,
    );
  }
  const badSequencer = sequencerProblem(fields.sequencer);
  if (badSequencer !== undefined) {
    return ignored(
      'malformed-sequencer',
      `Expected 32 or 48 hexadecimal digits for data.sequencer but received ${describeReceived(fields.sequencer)}`,
    );
  }
  const unsafe = blobNameProblem(subject.blobName);
  if (unsafe !== undefined) {
    return ignored(
      'unsafe-blob-name',
      `Expected a safe blob name but received ${describeReceived(subject.blobName)}: ${unsafe}`,
    );
  }
  return {
    ok: true,
    source: {
      container: subject.container,
      blobName: subject.blobName,
      eTag: fields.eTag,
      sequencer: normalizedSequencer(fields.sequencer),
      contentLength: fields.contentLength,
      contentType: fields.contentType,
    },
  };
}
