import type { Container } from '@azure/cosmos';
import type { ImageDocument, ImageTombstone } from '../domain/types';
import { httpStatusOf } from './serviceErrors';

/** What is stored under a document id: the image document, or the tombstone of a deleted source. */
export type StoredEntry =
  /** `eTag`: Cosmos `_etag`, for the If-Match of the next replace. */
  | { kind: 'document'; document: ImageDocument; eTag: string }
  | { kind: 'tombstone'; tombstone: ImageTombstone; eTag: string };

/** `conflict`: someone else wrote first (409 on create, 412/404 on replace or delete); read again and re-decide. */
export type StoreWriteResult = 'written' | 'conflict';

/** The operations the writer and the deleter need, so a test can interleave a concurrent writer. */
export interface DocumentStore {
  /** The document or the tombstone under `id`, or undefined. */
  read(id: string): Promise<StoredEntry | undefined>;
  create(item: ImageDocument | ImageTombstone): Promise<StoreWriteResult>;
  replace(item: ImageDocument | ImageTombstone, eTag: string): Promise<StoreWriteResult>;
}

const COSMOS_SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts'] as const;

function withoutSystemFields(resource: Record<string, unknown>): Record<string, unknown> {
  const item: Record<string, unknown> = { ...resource };
  for (const field of COSMOS_SYSTEM_FIELDS) delete item[field];
  return item;
}

/** A tombstone is marked `deleted: true`; every reader of the container must treat it as "no document". */
export function isTombstone(item: Record<string, unknown>): boolean {
  return item.deleted === true;
}

/**
 * The Images container (partition key `/id`, so the partition key value is the id). A missing item is
 * `undefined` (the SDK answers a point-read 404 with an empty resource); write races are `conflict` results.
 */
export function cosmosDocumentStore(container: Container): DocumentStore {
  return {
    async read(id) {
      const { resource, etag } = await container.item(id, id).read<Record<string, unknown>>();
      if (resource === undefined) return undefined;
      const item = withoutSystemFields(resource);
      return isTombstone(item)
        ? { kind: 'tombstone', tombstone: item as unknown as ImageTombstone, eTag: etag }
        : { kind: 'document', document: item as unknown as ImageDocument, eTag: etag };
    },
    async create(item) {
      try {
        await container.items.create(item);
        return 'written';
      } catch (error) {
        if (httpStatusOf(error) === 409) return 'conflict';
        throw error;
      }
    },
    async replace(item, eTag) {
      try {
        await container
          .item(item.id, item.id)
          .replace(item, { accessCondition: { type: 'IfMatch', condition: eTag } });
        return 'written';
      } catch (error) {
        const status = httpStatusOf(error);
        // 412: changed since we read it; 404: deleted since we read it. Both mean: read again.
        if (status === 412 || status === 404) return 'conflict';
        throw error;
      }
    },
  };
}

/** The image document under `id`, or undefined when there is none or the source was deleted (a tombstone). */
export async function readImageDocument(
  store: DocumentStore,
  id: string,
): Promise<ImageDocument | undefined> {
  const entry = await store.read(id);
  return entry?.kind === 'document' ? entry.document : undefined;
}
