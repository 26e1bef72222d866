import { httpStatusOf } from './serviceErrors';
import type { Container, SqlParameter } from '@azure/cosmos';
import type { DocumentStatus, ErrorCode, ImageDocument } from '../domain/types';

/** Filters of the console's list; every one optional. */
export interface ImageListFilter {
  status?: DocumentStatus;
  errorCode?: ErrorCode;
  /** Source blob names starting with this, e.g. `users/42/`. */
  prefix?: string;
}

export interface ImageListPage {
  /** Newest `updatedAt` first. */
  documents: ImageDocument[];
  /** Opaque; pass back for the next page. Undefined on the last page. */
  continuation: string | undefined;
  /** The caller's continuation token was refused by the service (tampered, or from another query). */
  invalidContinuation?: true;
}

/**
 * The query the console pages through: `ORDER BY c.updatedAt DESC` over the whole (cross-partition) container.
 * Cosmos serves a single-property ORDER BY from the range index on `/updatedAt` (the default policy includes
 * it); the `status` filter with that order is cheapest with a composite index (`/status` ASC, `/updatedAt`
 * DESC), and the error-code filter needs `/errors/[]/code` indexed (see docs/design.md).
 */
export function imageListQuery(filter: ImageListFilter): { query: string; parameters: SqlParameter[] } {
  const where: string[] = [];
  const parameters: SqlParameter[] = [];
  if (filter.status !== undefined) {
    where.push('c.status = @status');
    parameters.push({ name: '@status', value: filter.status });
  }
  if (filter.errorCode !== undefined) {
    where.push('EXISTS(SELECT VALUE e FROM e IN c.errors WHERE e.code = @errorCode)');
    parameters.push({ name: '@errorCode', value: filter.errorCode });
  }
  if (filter.prefix !== undefined && filter.prefix !== '') {
    where.push('STARTSWITH(c.sourceBlobName, @prefix)');
    parameters.push({ name: '@prefix', value: filter.prefix });
  }
  const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  return { query: `SELECT * FROM c${clause} ORDER BY c.updatedAt DESC`, parameters };
}

const SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts'];

/**
 * One page of documents, newest first. A cross-partition ORDER BY may hand back short (even empty) pages with a
 * continuation, so this asks again until the page is full or the query is done (at most 5 round trips).
 */
export async function listImages(
  documents: Container,
  filter: ImageListFilter,
  pageSize: number,
  continuation: string | undefined,
): Promise<ImageListPage> {
  const found: ImageDocument[] = [];
  let token = continuation;
  for (let round = 0; round < 5 && found.length < pageSize; round++) {
    const iterator = documents.items.query<Record<string, unknown>>(imageListQuery(filter), {
      maxItemCount: pageSize - found.length,
      ...(token === undefined ? {} : { continuationToken: token }),
    });
    let response;
    try {
      response = await iterator.fetchNext();
    } catch (error) {
      // A token the caller made up (or copied from another query) is refused with 400, or fails to parse in the
      // SDK: a client error, not a failure of the service.
      const refused = httpStatusOf(error) === 400 || error instanceof SyntaxError;
      if (round === 0 && continuation !== undefined && refused) {
        return { documents: [], continuation: undefined, invalidContinuation: true };
      }
      throw error;
    }
    for (const resource of response.resources) {
      // A tombstone (`deleted: true`, no name) is no image. The Cosmos server used locally leaves items without
      // `updatedAt` out of the ORDER BY; this keeps them out wherever a service includes undefined values.
      if (typeof resource.sourceBlobName !== 'string') continue;
      const document: Record<string, unknown> = { ...resource };
      for (const field of SYSTEM_FIELDS) delete document[field];
      found.push(document as unknown as ImageDocument);
    }
    token = response.continuationToken ?? undefined;
    if (token === undefined) break;
  }
  return { documents: found, continuation: token };
}
