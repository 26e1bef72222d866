import {
  odata,
  TableClient,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from '@azure/data-tables';
import { fromChunkedProperties, toChunkedProperties } from './chunks';
import type { Cursor } from './cursor';
import type { HistoryEvent } from './history';
import type { RuntimeStatus } from './status';

/** One row of `{hub}Instances` (PartitionKey = instance id, RowKey = ''), as DTFx's Azure Storage provider keeps it. */
export interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  /** JSON text. */
  input: string | undefined;
  /** JSON text, or raw text for failure and termination reasons. */
  output: string | undefined;
  customStatus: string | undefined;
  createdTime: Date;
  lastUpdatedTime: Date;
}

/** A message waiting to be consumed by an episode (DTFx keeps these in a control queue). */
export interface InboxItem {
  seq: number;
  event: HistoryEvent;
}

export interface StoredExecution {
  /** Committed history (every episode that reached its final batch). */
  history: HistoryEvent[];
  cursor: Cursor | undefined;
  /** Every inbox row still present, ordered by sequence number (consumed ones are filtered by the caller). */
  inbox: InboxItem[];
}

export interface InstanceQuery {
  runtimeStatus?: RuntimeStatus[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  instanceIdPrefix?: string;
}

const BATCH_OPERATIONS = 100;
const BATCH_BYTES = 3_500_000; // under the 4 MiB entity-group-transaction payload limit

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const historyKey = (executionId: string, index: number): string => `${executionId}:h:${pad(index, 8)}`;
const inboxKey = (executionId: string, seq: number): string => `${executionId}:i:${pad(seq, 10)}`;
const sentinelKey = (executionId: string): string => `${executionId}:s`;

type Entity = TableEntity<Record<string, unknown>>;
type StoredEntity = TableEntityResult<Record<string, unknown>>;

function approximateBytes(entity: Entity): number {
  return JSON.stringify(entity).length * 2;
}

/**
 * Instances and history in Azurite (or Azure) Table storage. Each episode is committed with its history rows
 * first and a final entity-group transaction that writes the `sentinel` row (event count + cursor); readers trust
 * only events below the sentinel's count, so an episode cut short by a crash is simply run again.
 */
export class DurableStore {
  readonly instances: TableClient;
  readonly history: TableClient;

  constructor(connectionString: string, taskHub: string) {
    const options = { allowInsecureConnection: true };
    this.instances = TableClient.fromConnectionString(connectionString, `${taskHub}Instances`, options);
    this.history = TableClient.fromConnectionString(connectionString, `${taskHub}History`, options);
  }

  async ensureTables(): Promise<void> {
    await Promise.all([this.instances.createTable(), this.history.createTable()]);
  }

  async readInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    try {
      const entity = await this.instances.getEntity<Record<string, unknown>>(instanceId, '');
      return toInstanceRecord(entity);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async writeInstance(record: InstanceRecord): Promise<void> {
    const entity: Entity = {
      partitionKey: record.instanceId,
      rowKey: '',
      Name: record.name,
      ExecutionId: record.executionId,
      RuntimeStatus: record.runtimeStatus,
      CreatedTime: record.createdTime,
      LastUpdatedTime: record.lastUpdatedTime,
      ...toChunkedProperties('Input', record.input),
      ...toChunkedProperties('Output', record.output),
      ...toChunkedProperties('CustomStatus', record.customStatus),
    };
    await this.instances.upsertEntity(entity, 'Replace');
  }

  async deleteInstance(instanceId: string): Promise<boolean> {
    try {
      await this.instances.deleteEntity(instanceId, '');
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false;
      throw error;
    }
  }

  /** One page of instances matching the query; `continuationToken` is the storage service's own. */
  async queryInstances(
    query: InstanceQuery,
    top: number | undefined,
    continuationToken: string | undefined,
  ): Promise<{ records: InstanceRecord[]; continuationToken: string | undefined }> {
    const filter = instanceFilter(query);
    const pages = this.instances
      .listEntities<Record<string, unknown>>({ queryOptions: filter ? { filter } : {} })
      .byPage({ maxPageSize: top ?? 1000, ...(continuationToken ? { continuationToken } : {}) });
    const page = await pages.next();
    if (page.done) return { records: [], continuationToken: undefined };
    return {
      records: page.value.map(toInstanceRecord),
      continuationToken: page.value.continuationToken,
    };
  }

  async allInstances(query: InstanceQuery): Promise<InstanceRecord[]> {
    const filter = instanceFilter(query);
    const records: InstanceRecord[] = [];
    for await (const entity of this.instances.listEntities<Record<string, unknown>>({
      queryOptions: filter ? { filter } : {},
    })) {
      records.push(toInstanceRecord(entity));
    }
    return records;
  }

  async putInbox(instanceId: string, executionId: string, item: InboxItem): Promise<void> {
    await this.history.upsertEntity(
      {
        partitionKey: instanceId,
        rowKey: inboxKey(executionId, item.seq),
        Seq: item.seq,
        ...toChunkedProperties('Event', JSON.stringify(item.event)),
      },
      'Replace',
    );
  }

  async readExecution(instanceId: string, executionId: string): Promise<StoredExecution> {
    const events = new Map<number, HistoryEvent>();
    const inbox: InboxItem[] = [];
    let cursor: Cursor | undefined;
    let committed = 0;
    for await (const entity of this.#executionRows(instanceId, executionId)) {
      const kind = (entity.rowKey ?? '').slice(executionId.length + 1, executionId.length + 2);
      if (kind === 's') {
        committed = entity.CommittedEvents as number;
        cursor = JSON.parse(fromChunkedProperties(entity, 'Cursor') ?? 'null') as Cursor;
        continue;
      }
      const event = JSON.parse(fromChunkedProperties(entity, 'Event') ?? 'null') as HistoryEvent;
      if (kind === 'h') events.set(entity.Index as number, event);
      else inbox.push({ seq: entity.Seq as number, event });
    }
    const history: HistoryEvent[] = [];
    for (let index = 0; index < committed; index++) {
      const event = events.get(index);
      if (!event) throw new Error(`History of ${instanceId} is missing event ${index} of ${committed}`);
      history.push(event);
    }
    inbox.sort((a, b) => a.seq - b.seq);
    return { history, cursor, inbox };
  }

  /** Appends an episode's events at `startIndex` and then, atomically with the last of them, the new cursor. */
  async commitEpisode(
    instanceId: string,
    executionId: string,
    startIndex: number,
    events: readonly HistoryEvent[],
    cursor: Cursor,
  ): Promise<void> {
    const rows: Entity[] = events.map((event, offset) => ({
      partitionKey: instanceId,
      rowKey: historyKey(executionId, startIndex + offset),
      Index: startIndex + offset,
      EventType: event.EventType,
      ...toChunkedProperties('Event', JSON.stringify(event)),
    }));
    const sentinel: Entity = {
      partitionKey: instanceId,
      rowKey: sentinelKey(executionId),
      CommittedEvents: startIndex + events.length,
      ...toChunkedProperties('Cursor', JSON.stringify(cursor)),
    };
    const batches = splitIntoBatches(rows, approximateBytes(sentinel));
    const last = batches.pop() ?? [];
    for (const batch of batches) await this.#upsertAll(batch);
    await this.#upsertAll([...last, sentinel]);
  }

  /** Removes inbox rows already consumed (garbage after the sentinel recorded them). */
  async deleteInboxRows(instanceId: string, executionId: string, seqs: readonly number[]): Promise<void> {
    const actions: TransactionAction[] = seqs.map((seq) => [
      'delete',
      { partitionKey: instanceId, rowKey: inboxKey(executionId, seq) },
    ]);
    for (let start = 0; start < actions.length; start += BATCH_OPERATIONS) {
      await this.history.submitTransaction(actions.slice(start, start + BATCH_OPERATIONS));
    }
  }

  /** Deletes every history/inbox row of the instance, except those of `keepExecutionId`. */
  async deleteHistory(instanceId: string, keepExecutionId?: string): Promise<void> {
    const keys: string[] = [];
    for await (const entity of this.history.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${instanceId}`, select: ['RowKey'] },
    })) {
      const rowKey = entity.rowKey ?? '';
      if (keepExecutionId === undefined || !rowKey.startsWith(`${keepExecutionId}:`)) keys.push(rowKey);
    }
    for (let start = 0; start < keys.length; start += BATCH_OPERATIONS) {
      await this.history.submitTransaction(
        keys
          .slice(start, start + BATCH_OPERATIONS)
          .map((rowKey): TransactionAction => ['delete', { partitionKey: instanceId, rowKey }]),
      );
    }
  }

  #executionRows(instanceId: string, executionId: string): AsyncIterable<StoredEntity> {
    // ';' is the character after ':', so the range is exactly this execution's rows.
    const filter = odata`PartitionKey eq ${instanceId} and RowKey gt ${`${executionId}:`} and RowKey lt ${`${executionId};`}`;
    return this.history.listEntities<Record<string, unknown>>({ queryOptions: { filter } });
  }

  async #upsertAll(entities: Entity[]): Promise<void> {
    if (entities.length === 0) return;
    await this.history.submitTransaction(entities.map((entity) => ['upsert', entity, 'Replace']));
  }
}

/** Groups rows into transactions under the operation and payload limits, keeping room for the sentinel in the last. */
function splitIntoBatches(rows: Entity[], sentinelBytes: number): Entity[][] {
  const batches: Entity[][] = [];
  let current: Entity[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = approximateBytes(row);
    if (
      current.length > 0 &&
      (current.length >= BATCH_OPERATIONS - 1 || bytes + size + sentinelBytes > BATCH_BYTES)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  batches.push(current);
  return batches;
}

function instanceFilter(query: InstanceQuery): string | undefined {
  const clauses: string[] = [];
  if (query.createdTimeFrom) clauses.push(odata`CreatedTime ge ${query.createdTimeFrom}`);
  if (query.createdTimeTo) clauses.push(odata`CreatedTime le ${query.createdTimeTo}`);
  if (query.instanceIdPrefix) {
    clauses.push(
      odata`PartitionKey ge ${query.instanceIdPrefix} and PartitionKey lt ${`${query.instanceIdPrefix}\uffff`}`,
    );
  }
  if (query.runtimeStatus && query.runtimeStatus.length > 0) {
    clauses.push(`(${query.runtimeStatus.map((status) => odata`RuntimeStatus eq ${status}`).join(' or ')})`);
  }
  return clauses.length > 0 ? clauses.join(' and ') : undefined;
}

function toInstanceRecord(entity: StoredEntity): InstanceRecord {
  return {
    instanceId: entity.partitionKey ?? '',
    name: entity.Name as string,
    executionId: entity.ExecutionId as string,
    runtimeStatus: entity.RuntimeStatus as RuntimeStatus,
    input: fromChunkedProperties(entity, 'Input'),
    output: fromChunkedProperties(entity, 'Output'),
    customStatus: fromChunkedProperties(entity, 'CustomStatus'),
    createdTime: asDate(entity.CreatedTime),
    lastUpdatedTime: asDate(entity.LastUpdatedTime),
  };
}

function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}
