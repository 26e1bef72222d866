import type { Container } from '@azure/cosmos';
import type { ImageDocument } from '../domain/types';
import { httpStatusOf } from './serviceErrors';

export interface StoredDocument {
  document: ImageDocument;
  /** Cosmos `_etag`, for the If-Match of the next replace. */
  eTag: string;
}

/** `conflict`: someone else wrote first (409 on create, 412/404 on replace); read again and re-decide. */
export type StoreWriteResult = 'written' | 'conflict';

/** The three operations the writer needs, so a test can interleave a concurrent writer. */
export interface DocumentStore {
  read(id: string): Promise<StoredDocument | undefined>;
  create(document: ImageDocument): Promise<StoreWriteResult>;
  replace(document: ImageDocument, eTag: string): Promise<StoreWriteResult>;
}

const COSMOS_SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts'] as const;

function withoutSystemFields(resource: Record<string, unknown>): ImageDocument {
  const document: Record<string, unknown> = { ...resource };
  for (const field of COSMOS_SYSTEM_FIELDS) delete document[field];
  return document as unknown as ImageDocument;
}

/**
 * The Images container (partition key `/id`, so the partition key value is the id). A missing document is
 * `undefined` (the SDK answers a point-read 404 with an empty resource); write races are `conflict` results.
 */
export function cosmosDocumentStore(container: Container): DocumentStore {
  return {
    async read(id) {
      const { resource, etag } = await container.item(id, id).read<Record<string, unknown>>();
      if (resource === undefined) return undefined;
      return { document: withoutSystemFields(resource), eTag: etag };
    },
    async create(document) {
      try {
        await container.items.create(document);
        return 'written';
      } catch (error) {
        if (httpStatusOf(error) === 409) return 'conflict';
        throw error;
      }
    },
    async replace(document, eTag) {
      try {
        await container
          .item(document.id, document.id)
          .replace(document, { accessCondition: { type: 'IfMatch', condition: eTag } });
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
