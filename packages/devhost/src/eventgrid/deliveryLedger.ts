import { createHash } from 'node:crypto';
import { RestError, TableClient, type TransactionAction } from '@azure/data-tables';
import { KeyedLock } from '../durable/keyedLock';
import type { BlobStorageEvent } from './blobCreatedEvent';

export interface LedgerEntry {
  blobName: string;
  /** The blob's event counter this event took (its sequencer). */
  sequence: number;
  /** The event as first built, so a restart redelivers a pending one unchanged. */
  event: BlobStorageEvent;
}

type CounterEntity = {
  partitionKey: string;
  rowKey: string;
  blobName: string;
  /** Absent on a counter that only an accounted property write created (no event yet). */
  sequence?: number;
  /**
   * What the topic has accounted for: the blob exists as `eTag` (its last BlobCreated, or a property write seen
   * through the proxy, which raises no event), or it was deleted. Absent on counters written before this was
   * recorded.
   */
  exists?: boolean;
  eTag?: string;
};

/** What the ledger has accounted for one blob (see `DeliveryLedger.accountedBlobs`). */
export interface AccountedBlob {
  blobName: string;
  /** `undefined`: a counter from before the ledger recorded this; adopt the blob as it is, raise nothing. */
  state: { exists: true; eTag: string } | { exists: false } | undefined;
}

type EventEntity = {
  partitionKey: string;
  rowKey: string;
  blobName: string;
  sequence: number;
  state: 'pending' | 'deadLettered';
  event: string;
};

// Row keys cannot hold '/', '\', '#' or '?', and blob names can: key by hash, keep the name as a column.
function blobKey(blobName: string): string {
  return createHash('sha256').update(blobName).digest('hex');
}

function counterKey(blobName: string): string {
  return `counter-${blobKey(blobName)}`;
}

function eventKey(blobName: string, sequence: number): string {
  return `event-${blobKey(blobName)}-${sequence.toString(16).padStart(16, '0')}`;
}

/**
 * The local topic's durable state, in Azurite Table storage (one partition per container):
 * - per blob, the event counter behind its sequencers, so sequencers keep growing across restarts;
 * - every event not yet delivered, so a crash or stop between the write and the delivery still delivers it
 *   (at least once, as Event Grid), and dead-lettered events for inspection.
 * An event and the counter it advanced are written in one entity-group transaction: neither exists without
 * the other.
 */
export class DeliveryLedger {
  readonly #table: TableClient;
  readonly #partition: string;
  readonly #counters = new Map<string, number>();
  readonly #lock = new KeyedLock();

  constructor(connectionString: string, tableName: string, container: string) {
    this.#table = TableClient.fromConnectionString(connectionString, tableName, {
      allowInsecureConnection: true,
    });
    this.#partition = container;
  }

  /** Creates the table if needed and returns the events a previous run left undelivered, oldest first. */
  async open(): Promise<LedgerEntry[]> {
    try {
      await this.#table.createTable();
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 409)) throw error;
    }
    const partition = this.#partition.replace(/'/g, "''");
    const filter = `PartitionKey eq '${partition}' and RowKey ge 'event-' and RowKey lt 'event.'`;
    const pending: LedgerEntry[] = [];
    for await (const entity of this.#table.listEntities<EventEntity>({ queryOptions: { filter } })) {
      if (entity.state !== 'pending') continue;
      pending.push({
        blobName: entity.blobName,
        sequence: entity.sequence,
        event: JSON.parse(entity.event) as BlobStorageEvent,
      });
    }
    return pending.sort((a, b) => a.event.eventTime.localeCompare(b.event.eventTime));
  }

  /**
   * Takes the blob's next sequence number, builds the event with it and records both (pending) before
   * returning: once this resolves, the event survives a crash.
   */
  async record(blobName: string, build: (sequence: number) => BlobStorageEvent): Promise<LedgerEntry> {
    return this.#lock.run(blobName, async () => {
      const current = this.#counters.get(blobName) ?? (await this.#storedCounter(blobName));
      const sequence = current + 1;
      const event = build(sequence);
      const counter: CounterEntity = {
        partitionKey: this.#partition,
        rowKey: counterKey(blobName),
        blobName,
        sequence,
        ...(event.eventType === 'Microsoft.Storage.BlobCreated'
          ? { exists: true, eTag: event.data.eTag }
          : { exists: false, eTag: '' }),
      };
      const pending: EventEntity = {
        partitionKey: this.#partition,
        rowKey: eventKey(blobName, sequence),
        blobName,
        sequence,
        state: 'pending',
        event: JSON.stringify(event),
      };
      const actions: TransactionAction[] = [
        ['upsert', counter, 'Replace'],
        ['create', pending],
      ];
      await this.#table.submitTransaction(actions);
      this.#counters.set(blobName, sequence);
      return { blobName, sequence, event };
    });
  }

  /**
   * A write that changed the blob's eTag and raises no event (Set Blob Metadata/Properties through the proxy):
   * remembered, so the reconcile at the next start does not take it for a write it missed.
   */
  async account(blobName: string, eTag: string): Promise<void> {
    await this.#lock.run(blobName, async () => {
      const counter: CounterEntity = {
        partitionKey: this.#partition,
        rowKey: counterKey(blobName),
        blobName,
        exists: true,
        eTag,
      };
      await this.#table.upsertEntity(counter, 'Merge');
    });
  }

  /** Every blob the ledger has a counter for, with what it accounted for. */
  async accountedBlobs(): Promise<AccountedBlob[]> {
    const partition = this.#partition.replace(/'/g, "''");
    const filter = `PartitionKey eq '${partition}' and RowKey ge 'counter-' and RowKey lt 'counter.'`;
    const blobs: AccountedBlob[] = [];
    for await (const entity of this.#table.listEntities<CounterEntity>({ queryOptions: { filter } })) {
      const state =
        entity.exists === undefined
          ? undefined
          : entity.exists
            ? { exists: true as const, eTag: entity.eTag ?? '' }
            : { exists: false as const };
      blobs.push({ blobName: entity.blobName, state });
    }
    return blobs;
  }

  /** Delivered: the event leaves the ledger (the counter stays). */
  async delivered(entry: LedgerEntry): Promise<void> {
    try {
      await this.#table.deleteEntity(this.#partition, eventKey(entry.blobName, entry.sequence));
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 404)) throw error;
    }
  }

  /** Given up on: kept, marked, so it is neither redelivered nor lost from sight. */
  async deadLettered(entry: LedgerEntry): Promise<void> {
    await this.#table.updateEntity(
      {
        partitionKey: this.#partition,
        rowKey: eventKey(entry.blobName, entry.sequence),
        state: 'deadLettered',
      },
      'Merge',
    );
  }

  async #storedCounter(blobName: string): Promise<number> {
    try {
      const entity = await this.#table.getEntity<CounterEntity>(this.#partition, counterKey(blobName));
      return entity.sequence ?? 0;
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return 0;
      throw error;
    }
  }
}
