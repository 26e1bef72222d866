import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { requireOperator } from '../auth/caller';
import { ERROR_CODES, type DocumentStatus, type ErrorCode, type ImageDocument } from '../domain/types';
import { expectedMessage, fromDecimalText, positiveInteger } from '../domain/validation';
import { invocationLogger } from '../logging';
import { listImages, type ImageListFilter } from '../storage/imageListing';
import { blobPath } from '../domain/blobPath';
import { productionHttpDeps, type ImageHttpDeps } from './http/deps';
import { findInstanceStatus } from './instanceStatus';
import { instanceLinks } from './http/instanceLinks';
import { CONSOLE_IMAGES_FUNCTION } from '../domain/functionNames';

export type ConsoleClient = Pick<DurableClient, 'getStatus'>;

const STATUSES: readonly DocumentStatus[] = ['completed', 'partial', 'failed'];
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

type Parsed<T> = { value: T } | { response: HttpResponseInit };

function badQuery(parameter: string, expected: string, received: string): { response: HttpResponseInit } {
  return {
    response: {
      status: 400,
      jsonBody: {
        error: 'invalid-query',
        message: expectedMessage(expected, parameter, received),
      },
    },
  };
}

/** `status`, `errorCode`, `prefix`, `pageSize` (1–100, default 20) and `continuation` from the query string. */
export function parseListQuery(
  query: URLSearchParams,
): Parsed<{ filter: ImageListFilter; pageSize: number; continuation: string | undefined }> {
  const filter: ImageListFilter = {};
  const status = query.get('status') ?? '';
  if (status !== '') {
    if (!STATUSES.includes(status as DocumentStatus)) return badQuery('status', STATUSES.join(', '), status);
    filter.status = status as DocumentStatus;
  }
  const errorCode = query.get('errorCode') ?? '';
  if (errorCode !== '') {
    if (!ERROR_CODES.includes(errorCode as ErrorCode)) {
      return badQuery('errorCode', `one of ${ERROR_CODES.join(', ')}`, errorCode);
    }
    filter.errorCode = errorCode as ErrorCode;
  }
  const prefix = query.get('prefix') ?? '';
  if (prefix !== '') filter.prefix = prefix;
  const rawSize = query.get('pageSize') ?? '';
  const pageSize =
    rawSize === '' ? DEFAULT_PAGE_SIZE : positiveInteger(fromDecimalText(rawSize), MAX_PAGE_SIZE);
  if (pageSize === undefined)
    return badQuery('pageSize', `a whole number from 1 to ${MAX_PAGE_SIZE}`, rawSize);
  const rawContinuation = query.get('continuation') ?? '';
  // The Cosmos token is JSON; base64url keeps it one opaque, URL-safe value for the browser.
  const continuation =
    rawContinuation === '' ? undefined : Buffer.from(rawContinuation, 'base64url').toString('utf8');
  // A token travels back to Cosmos in a header: anything but printable ASCII JSON is not one we handed out.
  if (continuation !== undefined && !/^[\x20-\x7e]+$/.test(continuation)) {
    return badQuery('continuation', 'a continuation from a previous page', rawContinuation);
  }
  return { value: { filter, pageSize, continuation } };
}

/** The console's row for one image: the document, its latest run's Durable status and where to look further. */
async function consoleItem(request: HttpRequest, client: ConsoleClient, document: ImageDocument) {
  const instance = document.instanceId ? await findInstanceStatus(client, document.instanceId) : undefined;
  const path = blobPath(document.sourceBlobName);
  return {
    documentId: document.id,
    blobName: document.sourceBlobName,
    status: document.status,
    createdAt: document.createdAt,
    updatedAt: document.updatedAt,
    source: {
      format: document.sourceFormat,
      width: document.sourceWidth,
      height: document.sourceHeight,
      bytes: document.sourceLength,
      contentType: document.sourceContentType,
      eTag: document.sourceETag,
    },
    variants: document.variants,
    errors: document.errors,
    instance: instance
      ? {
          instanceId: instance.instanceId,
          runtimeStatus: instance.runtimeStatus,
          customStatus: instance.customStatus ?? null,
          createdTime: instance.createdTime,
          lastUpdatedTime: instance.lastUpdatedTime,
          // The app's own operator-checked endpoint: never the Durable URLs with the system key.
          ...instanceLinks(request, instance.instanceId),
        }
      : null,
    statusUrl: new URL(`/api/images/${path}`, request.url).href,
    reprocessUrl: new URL(`/api/reprocess/${path}`, request.url).href,
  };
}

/**
 * `GET /api/console/images?status=&errorCode=&prefix=&pageSize=&continuation=` (operators): documents newest
 * first, each with its variants, errors and latest Durable run, plus the next page's `continuation` and the
 * size labels reprocess accepts.
 */
export function createConsoleImagesHandler(deps: () => ImageHttpDeps = productionHttpDeps) {
  return async (
    request: HttpRequest,
    client: ConsoleClient,
    context: InvocationContext,
  ): Promise<HttpResponseInit> => {
    const { settings, documents, authEnabled } = deps();
    const operator = requireOperator(request, settings.site, authEnabled);
    if ('response' in operator) return operator.response;
    const parsed = parseListQuery(request.query);
    if ('response' in parsed) return parsed.response;
    const { filter, pageSize, continuation } = parsed.value;

    const page = await listImages(documents, filter, pageSize, continuation);
    if (page.invalidContinuation) {
      return badQuery(
        'continuation',
        'a continuation from a previous page',
        String(request.query.get('continuation')),
      ).response;
    }
    const items = await Promise.all(page.documents.map((document) => consoleItem(request, client, document)));
    invocationLogger(context, {}).info('console list', { count: items.length, ...filter });
    return {
      status: 200,
      headers: { 'cache-control': 'no-store' },
      jsonBody: {
        items,
        continuation:
          page.continuation === undefined
            ? null
            : Buffer.from(page.continuation, 'utf8').toString('base64url'),
        sizes: settings.sizes.map((size) => size.label),
        statuses: STATUSES,
        errorCodes: ERROR_CODES,
      },
    };
  };
}

export const consoleImages = createConsoleImagesHandler();

// Anonymous at the host, operators only in the handler (the Entra app role; see docs/design.md).
df.app.client.http(CONSOLE_IMAGES_FUNCTION, {
  route: 'console/images',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: consoleImages,
});
