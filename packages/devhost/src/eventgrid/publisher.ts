import { setTimeout as sleep } from 'node:timers/promises';
import { blobCreatedEvent, blobDeletedEvent, type BlobStorageEvent } from './blobCreatedEvent';
import type { BlobWrite } from './blobEventProxy';
import { DeliveryLedger, type LedgerEntry } from './deliveryLedger';
import { deliverEvent, LOCAL_RETRY_DELAYS_MS, validateSubscription } from './webhookDelivery';

export type StorageEventType = BlobStorageEvent['eventType'];

export interface EventGridPublisherOptions {
  /** Storage connection string of the account holding the ledger table (Azurite). */
  connectionString: string;
  /** The subscription's subject filter: events of blobs in this container only (e.g. images-unprocessed). */
  container: string;
  /** e.g. http://127.0.0.1:7071/runtime/webhooks/eventgrid?functionName=onImageUploaded */
  webhookUrl: string;
  /** The subscription's included event types (default: BlobCreated and BlobDeleted, as our Azure subscription). */
  includedEventTypes?: readonly StorageEventType[];
  /** Table (same account) holding per-blob sequencers and undelivered events. */
  tableName?: string;
  /** Waits between attempts; attempts = delays + 1, then the event is dead-lettered (logged and kept). */
  retryDelaysMs?: number[];
  log?: (line: string) => void;
}

export interface EventGridPublisher {
  /** Opens the ledger: from now on writes are recorded (delivered once started). */
  open(): Promise<void>;
  /** Opens the ledger if needed, then delivers what a previous run left undelivered and what arrives. */
  start(): Promise<void>;
  /**
   * Turns one committed blob write into its event when the subscription wants it: resolves once the event is
   * recorded (so it survives a crash), before it is delivered.
   */
  publish(write: BlobWrite): Promise<void>;
  /** Resolves when every event published so far has been delivered or dead-lettered. */
  idle(): Promise<void>;
  /** Stops delivering and retrying; an undelivered event stays in the ledger for the next start. */
  stop(): Promise<void>;
}

export const DEFAULT_LEDGER_TABLE = 'DevhostEventGrid';
export const ALL_STORAGE_EVENT_TYPES: readonly StorageEventType[] = [
  'Microsoft.Storage.BlobCreated',
  'Microsoft.Storage.BlobDeleted',
];

/**
 * A local stand-in for Event Grid's storage system topic with one webhook subscription: each blob write the
 * storage proxy reports (Put Blob, Put Block List, Copy Blob, Delete Blob) becomes one event with the blob's
 * next sequencer, recorded before the write is acknowledged, then delivered after the subscription
 * validation handshake with Event Grid's retry schedule (scaled down) and dead-lettering: at least once, as
 * Event Grid. Deliveries run concurrently, so (as in Azure) events may arrive out of order; the sequencer
 * orders them.
 */
export function createEventGridPublisher(options: EventGridPublisherOptions): EventGridPublisher {
  const retryDelaysMs = options.retryDelaysMs ?? LOCAL_RETRY_DELAYS_MS;
  const included = new Set(options.includedEventTypes ?? ALL_STORAGE_EVENT_TYPES);
  const log = options.log ?? ((line: string) => console.log(line));
  const ledger = new DeliveryLedger(
    options.connectionString,
    options.tableName ?? DEFAULT_LEDGER_TABLE,
    options.container,
  );
  const inFlight = new Set<Promise<void>>();
  const stopController = new AbortController();
  let validated: Promise<boolean> | undefined;
  let opening: Promise<void> | undefined;
  let opened = false;
  let started = false;
  /** Recorded before start: delivered once the subscriber is up. */
  const waiting: LedgerEntry[] = [];

  async function ensureValidated(): Promise<boolean> {
    validated ??= validateSubscription(options.webhookUrl).then((result) => {
      if (!result.ok) {
        log(`eventgrid: subscription validation failed (${result.outcome}); will retry`);
        validated = undefined;
      }
      return result.ok;
    });
    return validated;
  }

  async function deliver(entry: LedgerEntry): Promise<void> {
    const maxAttempts = retryDelaysMs.length + 1;
    let outcome = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (stopController.signal.aborted) return;
      const result = (await ensureValidated())
        ? await deliverEvent(options.webhookUrl, entry.event, attempt)
        : { ok: false, outcome: 'subscription not validated' };
      if (stopController.signal.aborted) return;
      if (result.ok) {
        await ledger.delivered(entry);
        return;
      }
      outcome = result.outcome;
      const delay = retryDelaysMs[attempt - 1];
      if (delay === undefined) break;
      try {
        await sleep(delay, undefined, { signal: stopController.signal });
      } catch {
        return;
      }
    }
    log(
      `eventgrid: dead-letter: ${entry.event.eventType} ${entry.event.id} for ${entry.event.subject} dropped after ${maxAttempts} attempts (last outcome: ${outcome})`,
    );
    await ledger.deadLettered(entry);
  }

  function track(entry: LedgerEntry): void {
    const delivery = deliver(entry)
      .catch((error: unknown) =>
        log(`eventgrid: delivery of ${entry.event.subject} failed: ${(error as Error).message}`),
      )
      .finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  }

  function build(write: BlobWrite, sequence: number): BlobStorageEvent {
    const common = {
      accountName: write.account,
      container: write.container,
      name: write.blobName,
      url: write.url,
      clientRequestId: write.clientRequestId,
      requestId: write.requestId,
      contentType: write.contentType,
      blobType: write.blobType,
    };
    return write.eventType === 'Microsoft.Storage.BlobCreated'
      ? blobCreatedEvent({
          ...common,
          api: write.api,
          eTag: write.eTag,
          contentLength: write.contentLength,
          lastModified: write.time,
          sequence,
        })
      : blobDeletedEvent({ ...common, time: write.time, sequence });
  }

  async function open(): Promise<void> {
    opening ??= ledger.open().then((pending) => {
      waiting.push(...pending);
      opened = true;
    });
    return opening;
  }

  return {
    open,
    async start() {
      await open();
      started = true;
      for (const entry of waiting.splice(0)) track(entry);
    },
    async publish(write) {
      if (!opened) throw new Error('eventgrid: publish before open');
      if (write.container !== options.container || !included.has(write.eventType)) return;
      const entry = await ledger.record(write.blobName, (sequence) => build(write, sequence));
      // Not started yet: delivered on start. Stopping: recorded, so the next start delivers it.
      if (!started) waiting.push(entry);
      else if (!stopController.signal.aborted) track(entry);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    async stop() {
      stopController.abort();
      await Promise.allSettled([...inFlight]);
    },
  };
}
