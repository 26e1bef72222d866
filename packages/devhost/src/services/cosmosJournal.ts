import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import path from 'node:path';

/**
 * Persistence for the in-memory Cosmos SQL API server (@vercel/cosmosdb-server keeps everything in memory and
 * has no persistence of its own): every successful write is appended to a journal (one JSON line, written
 * synchronously before the response leaves, so whatever a client saw acknowledged survives a crash, SIGKILL
 * included), and at start the journal is folded into the latest state, rewritten compactly and replayed into
 * the fresh server. Replayed documents keep their bodies and ids; the server gives them new `_etag`, `_rid`
 * and `_ts` values, as a restore would.
 */

type Entry =
  | { op: 'database'; id: string }
  | { op: 'dropDatabase'; id: string }
  | { op: 'collection'; db: string; definition: CollectionDefinition }
  | { op: 'dropCollection'; db: string; id: string }
  | { op: 'put'; db: string; coll: string; document: Document }
  | { op: 'delete'; db: string; coll: string; id: string; partitionKey: unknown };

interface CollectionDefinition {
  id: string;
  partitionKey?: { paths?: string[]; kind?: string; version?: number };
  indexingPolicy?: unknown;
  uniqueKeyPolicy?: unknown;
  defaultTtl?: number;
  [key: string]: unknown;
}

type Document = { id: string } & Record<string, unknown>;

interface CollectionState {
  definition: CollectionDefinition;
  documents: Map<string, Document>;
}

export type JournalState = Map<string, Map<string, CollectionState>>;

/** System properties the server assigns; a replayed document gets fresh ones. */
const SYSTEM_PROPERTIES = ['_rid', '_self', '_etag', '_ts', '_attachments'];

function partitionKeyValue(definition: CollectionDefinition, document: Document): unknown {
  const [keyPath] = definition.partitionKey?.paths ?? ['/id'];
  let value: unknown = document;
  for (const part of (keyPath ?? '/id').slice(1).split('/')) {
    value =
      value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

function documentKey(partitionKey: unknown, id: string): string {
  return JSON.stringify([partitionKey ?? null, id]);
}

/** Applies one journal entry to the folded state. */
export function applyEntry(state: JournalState, entry: Entry): void {
  switch (entry.op) {
    case 'database':
      if (!state.has(entry.id)) state.set(entry.id, new Map());
      return;
    case 'dropDatabase':
      state.delete(entry.id);
      return;
    case 'collection': {
      const database = state.get(entry.db) ?? new Map<string, CollectionState>();
      state.set(entry.db, database);
      const existing = database.get(entry.definition.id);
      database.set(entry.definition.id, {
        definition: entry.definition,
        documents: existing?.documents ?? new Map(),
      });
      return;
    }
    case 'dropCollection':
      state.get(entry.db)?.delete(entry.id);
      return;
    case 'put': {
      const collection = state.get(entry.db)?.get(entry.coll);
      if (!collection) return;
      const document = { ...entry.document };
      for (const name of SYSTEM_PROPERTIES) delete document[name];
      collection.documents.set(
        documentKey(partitionKeyValue(collection.definition, document), document.id),
        document,
      );
      return;
    }
    case 'delete':
      state.get(entry.db)?.get(entry.coll)?.documents.delete(documentKey(entry.partitionKey, entry.id));
      return;
  }
}

function* stateEntries(state: JournalState): Generator<Entry> {
  for (const [db, collections] of state) {
    yield { op: 'database', id: db };
    for (const [, collection] of collections) {
      yield { op: 'collection', db, definition: collection.definition };
      for (const document of collection.documents.values()) {
        yield { op: 'put', db, coll: collection.definition.id, document };
      }
    }
  }
}

function decode(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The journal entry a successful response to this request stands for, if it changed anything. */
export function entryFor(request: IncomingMessage, body: unknown): Entry | undefined {
  const method = request.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return undefined;
  const segments = new URL(request.url ?? '/', 'https://cosmos').pathname.split('/').filter(Boolean);
  const [dbs, db, colls, coll, docs, id] = segments.map((segment, index) =>
    index % 2 === 1 ? decode(segment) : segment,
  );
  if (dbs !== 'dbs') return undefined;
  const object = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
  if (segments.length === 1 && method === 'POST' && typeof object?.id === 'string')
    return { op: 'database', id: object.id };
  if (segments.length === 2 && method === 'DELETE' && db) return { op: 'dropDatabase', id: db };
  if (!db || colls !== 'colls') return undefined;
  if (segments.length === 3 && method === 'POST' && typeof object?.id === 'string')
    return { op: 'collection', db, definition: object as CollectionDefinition };
  if (segments.length === 4 && coll && method === 'PUT' && typeof object?.id === 'string')
    return { op: 'collection', db, definition: object as CollectionDefinition };
  if (segments.length === 4 && coll && method === 'DELETE') return { op: 'dropCollection', db, id: coll };
  if (!coll || docs !== 'docs') return undefined;
  if (segments.length === 5 && method === 'POST') {
    // Queries are POSTs to the same path and change nothing.
    if (header(request, 'x-ms-documentdb-isquery') !== undefined) return undefined;
    if ((header(request, 'content-type') ?? '').includes('query+json')) return undefined;
    if (typeof object?.id === 'string') return { op: 'put', db, coll, document: object as Document };
    return undefined;
  }
  if (segments.length === 6 && id) {
    if ((method === 'PUT' || method === 'PATCH') && typeof object?.id === 'string')
      return { op: 'put', db, coll, document: object as Document };
    if (method === 'DELETE') {
      let partitionKey: unknown;
      try {
        partitionKey = (JSON.parse(header(request, 'x-ms-documentdb-partitionkey') ?? '[]') as unknown[])[0];
      } catch {
        partitionKey = undefined;
      }
      return { op: 'delete', db, coll, id, partitionKey };
    }
  }
  return undefined;
}

export class CosmosJournal {
  readonly #file: string;
  readonly #log: (message: string) => void;
  #recording = false;

  constructor(file: string, log: (message: string) => void) {
    this.#file = file;
    this.#log = log;
  }

  /** `{folder}/journal.jsonl`. */
  static in(folder: string, log: (message: string) => void): CosmosJournal {
    return new CosmosJournal(path.join(folder, 'journal.jsonl'), log);
  }

  /** Folds the journal into the latest state and rewrites it compactly (write, then rename). */
  load(): JournalState {
    const state: JournalState = new Map();
    if (existsSync(this.#file)) {
      const lines = readFileSync(this.#file, 'utf8').split('\n');
      lines.forEach((line, index) => {
        if (line.trim() === '') return;
        try {
          applyEntry(state, JSON.parse(line) as Entry);
        } catch {
          // Only a write cut short by a power loss leaves a broken line, and then only the last one.
          this.#log(`cosmos journal: line ${index + 1} of ${this.#file} is not JSON; skipped`);
        }
      });
    }
    mkdirSync(path.dirname(this.#file), { recursive: true });
    const compact = [...stateEntries(state)].map((entry) => `${JSON.stringify(entry)}\n`).join('');
    writeFileSync(`${this.#file}.tmp`, compact);
    renameSync(`${this.#file}.tmp`, this.#file);
    return state;
  }

  /** From now on, successful writes are journaled. */
  startRecording(): void {
    this.#recording = true;
  }

  /**
   * Wraps the server's request handling: a successful write's entry is appended synchronously as its
   * response ends, before the client can see it.
   */
  attach(server: Server): void {
    const handlers = server.listeners('request') as Array<
      (req: IncomingMessage, res: ServerResponse) => void
    >;
    server.removeAllListeners('request');
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (this.#recording && request.method !== 'GET' && request.method !== 'HEAD')
        this.#watch(request, response);
      for (const handler of handlers) handler.call(server, request, response);
    });
  }

  #watch(request: IncomingMessage, response: ServerResponse): void {
    const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
    (response as { end: (...args: unknown[]) => ServerResponse }).end = (...args: unknown[]) => {
      if (response.statusCode >= 200 && response.statusCode < 300) {
        const [chunk] = args;
        let body: unknown;
        try {
          body =
            typeof chunk === 'string' || Buffer.isBuffer(chunk)
              ? (JSON.parse(chunk.toString()) as unknown)
              : undefined;
        } catch {
          body = undefined;
        }
        const entry = entryFor(request, body);
        if (entry) appendFileSync(this.#file, `${JSON.stringify(entry)}\n`);
        else if (header(request, 'x-ms-cosmos-is-batch-request') !== undefined)
          this.#log(
            'cosmos journal: transactional batches are not journaled; their writes are lost on restart',
          );
      }
      return end(...args);
    };
  }
}
