import { parseBlobSubject } from './subject';

/**
 * What an operator needs to find one event again, read from whatever arrived: nothing here is validated or
 * trusted (that is `parseBlobEvent`'s job), so an ignored, malformed or hostile event is still named in the
 * log. Fields that are missing or not strings are null; long values are cut (a blob name is at most 1024
 * characters, an Azure eTag about 20 and a sequencer 48).
 */
export interface EventSummary {
  eventId: string | null;
  eventType: string | null;
  /** From the subject, decoded once as `parseBlobSubject` does; the raw subject when it does not parse. */
  container: string | null;
  blobName: string | null;
  subject: string | null;
  api: string | null;
  eTag: string | null;
  sequencer: string | null;
}

const MAX_LENGTH = 1100;

type Fields = Record<string, unknown>;

function record(value: unknown): Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {};
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return value.length > MAX_LENGTH ? `${value.slice(0, MAX_LENGTH)}…` : value;
}

/** The identifying fields of an Event Grid event (Event Grid schema or CloudEvents 1.0), as sent. */
export function summarizeEvent(event: unknown): EventSummary {
  const fields = record(event);
  const data = record(fields.data);
  const subject = typeof fields.subject === 'string' ? fields.subject : undefined;
  const parsed = subject === undefined ? undefined : parseBlobSubject(subject);
  return {
    eventId: text(fields.id),
    eventType: text(fields.eventType ?? fields.type),
    container: parsed?.ok ? text(parsed.container) : null,
    blobName: parsed?.ok ? text(parsed.blobName) : null,
    subject: parsed?.ok ? null : text(subject),
    api: text(data.api),
    eTag: text(data.eTag),
    sequencer: text(data.sequencer),
  };
}
