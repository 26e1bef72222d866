import { createHash } from 'node:crypto';
import { RestError, TableClient } from '@azure/data-tables';
import type { BlobCreatedEvent } from './blobCreatedEvent';

export type DeliveryState = 'pending' | 'delivered' | 'deadLettered';

export interface LedgerEntry {
  blobName: string;
  eTag: string;
  /** Per-blob event counter (feeds the sequencer). */
  sequence: number;
  state: DeliveryState;
  /** The event as first built, so a restart redelivers a pending one unchanged. */
  event: BlobCreatedEvent;
}

interface LedgerEntity {
  partitionKey: string;
  rowKey: string;
  blobName: string;
  eTag: string;
  sequence: number;
  state: string;
  event: string;
}

/**
 * Which blob versions already produced an event, kept in Azurite Table storage so a restart neither
 * redelivers every blob nor forgets an event that was still being delivered.
 */
export class DeliveryLedger {
  readonly #table: TableClient;
  readonly #partition: string;

  constructor(connectionString: string, tableName: string, container: string) {
    this.#table = TableClient.fromConnectionString(connectionString, tableName, {
      allowInsecureConnection: true,
    });
    this.#partition = container;
  }

  async open(): Promise<Map<string, LedgerEntry>> {
    try {
      await this.#table.createTable();
    } catch (error) {
      if (!(error instanceof RestError && error.statusCode === 409)) throw error;
    }
    const entries = new Map<string, LedgerEntry>();
    const filter = `PartitionKey eq '${this.#partition.replace(/'/g, "''")}'`;
    for await (const entity of this.#table.listEntities<LedgerEntity>({ queryOptions: { filter } })) {
      entries.set(entity.blobName, {
        blobName: entity.blobName,
        eTag: entity.eTag,
        sequence: entity.sequence,
        state: entity.state as DeliveryState,
        event: JSON.parse(entity.event) as BlobCreatedEvent,
      });
    }
    return entries;
  }

  async record(entry: LedgerEntry): Promise<void> {
    const entity: LedgerEntity = {
      partitionKey: this.#partition,
      // Row keys cannot hold '/', '\', '#' or '?', and blob names can: key by hash, keep the name as a column.
      rowKey: createHash('sha256').update(entry.blobName).digest('hex'),
      blobName: entry.blobName,
      eTag: entry.eTag,
      sequence: entry.sequence,
      state: entry.state,
      event: JSON.stringify(entry.event),
    };
    await this.#table.upsertEntity(entity, 'Replace');
  }
}
