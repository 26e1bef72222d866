import { setTimeout as sleep } from 'node:timers/promises';
import { BlobServiceClient, type BlobItem, type ContainerClient } from '@azure/storage-blob';
import { blobCreatedEvent, type BlobCreatedApi } from './blobCreatedEvent';
import { DeliveryLedger, type LedgerEntry } from './deliveryLedger';
import { deliverEvent, LOCAL_RETRY_DELAYS_MS, validateSubscription } from './webhookDelivery';

export interface EventGridPublisherOptions {
  /** Storage connection string of the watched account (Azurite). */
  connectionString: string;
  /** The watched container, e.g. images-unprocessed. */
  container: string;
  /** e.g. http://127.0.0.1:7071/runtime/webhooks/eventgrid?functionName=onImageUploaded */
  webhookUrl: string;
  /** Table (same account) remembering delivered blob versions. */
  tableName?: string;
  /** How often the container is listed: upload -> event latency is at most this plus delivery. */
  pollIntervalMs?: number;
  /** Waits between attempts; attempts = delays + 1, then the event is dead-lettered (logged and dropped). */
  retryDelaysMs?: number[];
  log?: (line: string) => void;
}

export interface EventGridPublisher {
  /** Opens the ledger, redelivers events left pending by a previous run, and starts watching. */
  start(): Promise<void>;
  /** One listing pass (tests call this to avoid waiting for the timer). */
  pollOnce(): Promise<void>;
  /** Resolves when every event found so far has been delivered or dead-lettered. */
  idle(): Promise<void>;
  /** Stops watching and retrying; an undelivered event stays pending for the next start. */
  stop(): Promise<void>;
}

export const DEFAULT_LEDGER_TABLE = 'DevhostEventGrid';

/**
 * A local stand-in for Event Grid's storage system topic: polls one container and turns every new or
 * overwritten blob (a new eTag) into one `Microsoft.Storage.BlobCreated` event delivered to a webhook,
 * after the subscription validation handshake, with retries and dead-lettering.
 */
export function createEventGridPublisher(options: EventGridPublisherOptions): EventGridPublisher {
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const retryDelaysMs = options.retryDelaysMs ?? LOCAL_RETRY_DELAYS_MS;
  const log = options.log ?? ((line: string) => console.log(line));
  const service = BlobServiceClient.fromConnectionString(options.connectionString);
  const container: ContainerClient = service.getContainerClient(options.container);
  const ledger = new DeliveryLedger(
    options.connectionString,
    options.tableName ?? DEFAULT_LEDGER_TABLE,
    options.container,
  );

  let known = new Map<string, LedgerEntry>();
  const inFlight = new Set<Promise<void>>();
  const stopController = new AbortController();
  let validated: Promise<boolean> | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let lastPollError = '';

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
        await ledger.record({ ...entry, state: 'delivered' });
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
      `eventgrid: dead-letter: event ${entry.event.id} for ${entry.event.subject} dropped after ${maxAttempts} attempts (last outcome: ${outcome})`,
    );
    await ledger.record({ ...entry, state: 'deadLettered' });
  }

  function track(entry: LedgerEntry): void {
    const delivery = deliver(entry)
      .catch((error: unknown) =>
        log(`eventgrid: delivery of ${entry.event.subject} failed: ${(error as Error).message}`),
      )
      .finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  }

  async function creationApi(blob: BlobItem): Promise<BlobCreatedApi> {
    if (blob.properties.copyId) return 'CopyBlob';
    // A single Put Blob leaves no committed block list; Put Block + Put Block List does.
    const blocks = await container.getBlockBlobClient(blob.name).getBlockList('committed');
    return (blocks.committedBlocks?.length ?? 0) > 0 ? 'PutBlockList' : 'PutBlob';
  }

  async function publish(blob: BlobItem): Promise<void> {
    // Listings return the ETag bare; events (like the ETag header) carry it quoted.
    const bare = blob.properties.etag ?? '';
    const eTag = bare.startsWith('"') ? bare : `"${bare}"`;
    const previous = known.get(blob.name);
    if (previous?.eTag === eTag) return;
    const sequence = (previous?.sequence ?? 0) + 1;
    const event = blobCreatedEvent({
      accountName: service.accountName,
      container: options.container,
      name: blob.name,
      url: container.getBlobClient(blob.name).url,
      api: await creationApi(blob),
      eTag,
      contentType: blob.properties.contentType,
      contentLength: blob.properties.contentLength,
      blobType: blob.properties.blobType,
      lastModified: blob.properties.lastModified,
      sequence,
    });
    const entry: LedgerEntry = { blobName: blob.name, eTag, sequence, state: 'pending', event };
    // Recorded before delivery: a crash mid-delivery redelivers on restart (at least once, like Event Grid).
    // If recording fails, the blob stays unknown and the next pass tries again.
    await ledger.record(entry);
    known.set(blob.name, entry);
    track(entry);
  }

  async function pollOnce(): Promise<void> {
    polling ??= (async () => {
      try {
        for await (const blob of container.listBlobsFlat({ includeCopy: true })) {
          if (stopController.signal.aborted) return;
          await publish(blob).catch((error: unknown) => {
            // Deleted between the listing and the block-list read: nothing was created that still exists.
            if ((error as { statusCode?: number }).statusCode === 404) return;
            throw error;
          });
        }
        lastPollError = '';
      } catch (error) {
        const message = (error as Error).message;
        if (message !== lastPollError) log(`eventgrid: listing ${options.container} failed: ${message}`);
        lastPollError = message;
      }
    })().finally(() => {
      polling = undefined;
    });
    return polling;
  }

  function schedule(): void {
    if (stopController.signal.aborted) return;
    pollTimer = setTimeout(() => {
      void pollOnce().finally(schedule);
    }, pollIntervalMs);
  }

  return {
    async start() {
      await container.createIfNotExists();
      known = await ledger.open();
      for (const entry of known.values()) if (entry.state === 'pending') track(entry);
      await pollOnce();
      schedule();
    },
    pollOnce,
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    async stop() {
      stopController.abort();
      clearTimeout(pollTimer);
      await polling;
      await Promise.allSettled([...inFlight]);
    },
  };
}
