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
  /**
   * The subscription container as the emulator holds it now (read straight from it), so `open` can reconcile
   * the ledger with it (see `reconcile`). Without it, writes that bypassed the proxy stay unknown.
   */
  reconcile?: ReconcileSource;
  /** Waits between attempts; attempts = delays + 1, then the event is dead-lettered (logged and kept). */
  retryDelaysMs?: number[];
  log?: (line: string) => void;
}

/** One blob of the subscription's container, as a listing of the emulator returns it. */
export interface ListedBlob {
  blobName: string;
  eTag: string;
  contentType: string | undefined;
  contentLength: number | undefined;
  blobType: 'BlockBlob' | 'PageBlob' | 'AppendBlob' | undefined;
}

export interface ReconcileSource {
  accountName: string;
  /** The blob's URL as clients address it (through the proxy): the event's `data.url`. */
  blobUrl(blobName: string): string;
  listBlobs(): AsyncIterable<ListedBlob>;
}

/** A committed write that changed a blob's eTag and raises no event (Set Blob Metadata/Properties). */
export interface PropertyWrite {
  container: string;
  blobName: string;
  eTag: string;
}

export interface EventGridPublisher {
  /**
   * Opens the ledger and reconciles it with the container (when `listBlobs` is given): from now on writes are
   * recorded (delivered once started). Call it before the proxy accepts writes.
   */
  open(): Promise<void>;
  /** Opens the ledger if needed, then delivers what a previous run left undelivered and what arrives. */
  start(): Promise<void>;
  /**
   * Turns one committed blob write into its event when the subscription wants it: resolves once the event is
   * recorded (so it survives a crash), before it is delivered.
   */
  publish(write: BlobWrite): Promise<void>;
  /** Remembers a property or metadata write's new eTag, so a reconcile does not take it for a missed write. */
  account(write: PropertyWrite): Promise<void>;
  /** Resolves when every event published so far has been delivered or dead-lettered. */
  idle(): Promise<void>;
  /** Stops delivering and retrying; an undelivered event stays in the ledger for the next start. */
  stop(): Promise<void>;
}

function unquoted(eTag: string): string {
  return eTag.replace(/^"|"$/g, '');
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

  /**
   * Azure raises an event for every committed write; the proxy records each event before the client sees its
   * write succeed, but a kill between the emulator's commit and that record (or a write made straight to the
   * emulator) leaves a committed write with no event. So, before the proxy accepts writes, every blob whose
   * current eTag the ledger has not accounted for gets a BlobCreated, and every blob the ledger holds as
   * existing that is gone gets a BlobDeleted, each recorded like any other event (so once: the next start
   * finds them accounted for). A counter from before the ledger recorded eTags adopts the blob silently.
   */
  async function reconcile(source: ReconcileSource): Promise<LedgerEntry[]> {
    const accounted = new Map((await ledger.accountedBlobs()).map((blob) => [blob.blobName, blob.state]));
    const raised: LedgerEntry[] = [];
    const seen = new Set<string>();
    const common = {
      account: source.accountName,
      container: options.container,
      clientRequestId: undefined,
      requestId: undefined,
      time: new Date(),
    };
    for await (const blob of source.listBlobs()) {
      seen.add(blob.blobName);
      const state = accounted.get(blob.blobName);
      if (accounted.has(blob.blobName) && state === undefined) {
        await ledger.account(blob.blobName, blob.eTag);
        continue;
      }
      if (state?.exists === true && unquoted(state.eTag) === unquoted(blob.eTag)) continue;
      if (!included.has('Microsoft.Storage.BlobCreated')) continue;
      // Which call committed it is unknown; PutBlob is one Azure sends for a whole new version.
      const write: BlobWrite = {
        ...common,
        eventType: 'Microsoft.Storage.BlobCreated',
        api: 'PutBlob',
        blobName: blob.blobName,
        url: source.blobUrl(blob.blobName),
        contentType: blob.contentType,
        contentLength: blob.contentLength,
        blobType: blob.blobType,
        eTag: blob.eTag,
      };
      raised.push(await ledger.record(blob.blobName, (sequence) => build(write, sequence)));
    }
    if (included.has('Microsoft.Storage.BlobDeleted')) {
      for (const [blobName, state] of accounted) {
        if (seen.has(blobName) || state?.exists !== true) continue;
        const write: BlobWrite = {
          ...common,
          eventType: 'Microsoft.Storage.BlobDeleted',
          api: 'DeleteBlob',
          blobName,
          url: source.blobUrl(blobName),
          contentType: undefined,
          blobType: undefined,
        };
        raised.push(await ledger.record(blobName, (sequence) => build(write, sequence)));
      }
    }
    if (raised.length > 0) {
      log(
        `eventgrid: reconciled ${raised.length} committed write(s) that had no event: ${raised
          .map((entry) => `${entry.event.eventType.split('.').at(-1)} ${entry.blobName}`)
          .join(', ')}`,
      );
    }
    return raised;
  }

  async function open(): Promise<void> {
    opening ??= ledger.open().then(async (pending) => {
      waiting.push(...pending);
      if (options.reconcile !== undefined) waiting.push(...(await reconcile(options.reconcile)));
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
    async account(write) {
      if (!opened) throw new Error('eventgrid: account before open');
      if (write.container !== options.container) return;
      await ledger.account(write.blobName, write.eTag);
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
