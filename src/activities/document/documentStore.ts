import type { Container } from '@azure/cosmos';
import type { ImageDocument } from '../../domain/types';

export interface StoredDocument {
  document: ImageDocument;
  /** Cosmos `_etag`, for the If-Match of the next replace. */
  etag: string;
}

/** `conflict`: someone else wrote first (409 on create, 412/404 on replace); read again and re-decide. */
export type StoreWriteResult = 'written' | 'conflict';

/** The three operations the writer needs, so a test can interleave a concurrent writer. */
export interface DocumentStore {
  read(id: string): Promise<StoredDocument | undefined>;
  create(document: ImageDocument): Promise<StoreWriteResult>;
  replace(document: ImageDocument, etag: string): Promise<StoreWriteResult>;
}

const COSMOS_SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts'] as const;

/** Cosmos errors carry the HTTP status in `code` (an ErrorResponse, or a plain object from some code paths). */
function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = Number(error.code);
  return Number.isInteger(code) ? code : undefined;
}

function withoutSystemFields(resource: Record<string, unknown>): ImageDocument {
  const document: Record<string, unknown> = { ...resource };
  for (const field of COSMOS_SYSTEM_FIELDS) delete document[field];
  return document as unknown as ImageDocument;
}

/** The Images container (partition key `/id`, so the partition key value is the id). */
export function cosmosDocumentStore(container: Container): DocumentStore {
  return {
    async read(id) {
      const { resource, etag } = await container.item(id, id).read<Record<string, unknown>>();
      if (resource === undefined) return undefined;
      return { document: withoutSystemFields(resource), etag };
    },
    async create(document) {
      try {
        await container.items.create(document);
        return 'written';
      } catch (error) {
        if (statusCodeOf(error) === 409) return 'conflict';
        throw error;
      }
    },
    async replace(document, etag) {
      try {
        await container
          .item(document.id, document.id)
          .replace(document, { accessCondition: { type: 'IfMatch', condition: etag } });
        return 'written';
      } catch (error) {
        const status = statusCodeOf(error);
        // 412: changed since we read it; 404: deleted since we read it. Both mean: read again.
        if (status === 412 || status === 404) return 'conflict';
        throw error;
      }
    },
  };
}
