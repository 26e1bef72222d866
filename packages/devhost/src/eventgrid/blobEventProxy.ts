import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyedLock } from '../durable/keyedLock';
import { batchSubRequests, batchSubResponses, isBlobBatch, multipartBoundary } from './blobBatch';
import {
  blobAddress,
  eventRaisingOperation,
  isPropertyWrite,
  rawPathOf,
  type BlobAddress,
  type BlobCreatedApi,
  type EventRaisingOperation,
} from './blobOperation';

type BlobType = 'BlockBlob' | 'PageBlob' | 'AppendBlob';

/** What the storage service stores for a blob (a Get Blob Properties). */
export interface BlobDescription {
  contentType: string | undefined;
  contentLength: number | undefined;
  blobType: BlobType | undefined;
}

interface BlobWriteCommon extends BlobAddress {
  /** The blob's URL as the client addressed it (no query, so no SAS). */
  url: string;
  clientRequestId: string | undefined;
  requestId: string | undefined;
  contentType: string | undefined;
  blobType: BlobType | undefined;
  time: Date;
}

/** One committed write that raises a storage event. */
export type BlobWrite =
  | (BlobWriteCommon & {
      eventType: 'Microsoft.Storage.BlobCreated';
      api: BlobCreatedApi;
      /** The version's ETag, quoted, from the write's own response. */
      eTag: string;
      contentLength: number | undefined;
    })
  | (BlobWriteCommon & { eventType: 'Microsoft.Storage.BlobDeleted'; api: 'DeleteBlob' });

export interface BlobEventProxyOptions {
  /** Where clients connect (0 picks a free port). */
  port: number;
  /** The storage emulator's Blob endpoint. */
  target: { host: string; port: number };
  /** Get Blob Properties against the emulator itself (undefined when the blob does not exist). */
  describeBlob(address: BlobAddress): Promise<BlobDescription | undefined>;
  /** Called after each successful event-raising write, before the client sees the response. */
  onWrite(write: BlobWrite): Promise<void>;
  /** Called after each successful Set Blob Metadata/Properties (no event) with the blob's new eTag. */
  onPropertyWrite?(write: BlobAddress & { eTag: string }): Promise<void>;
  onError?: (message: string) => void;
}

export interface BlobEventProxy {
  port: number;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEndHeaders(raw: readonly string[]): string[] {
  const headers: string[] = [];
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index] as string;
    if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, raw[index + 1] as string);
  }
  return headers;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The blob's path for the event's `url`: the client's own spelling (which addresses the stored blob), unless it
 * holds a `\\` the service turned into `/`: then the stored name, each segment percent-encoded.
 */
function storedPath(address: BlobAddress, rawPath: string): string {
  if (!rawPath.includes('\\') && !/%5c/i.test(rawPath)) return rawPath;
  return `/${[address.account, address.container, ...address.blobName.split('/')].map(encodeURIComponent).join('/')}`;
}

/**
 * A reverse proxy in front of the storage emulator's Blob endpoint that raises the storage events Azure
 * raises: every request is forwarded unchanged (Host, auth, SAS, CORS preflights and all), and after a
 * successful (2xx) Put Blob, Put Block List, Copy Blob or Delete Blob it reports the write, holding the
 * response until the event is recorded, so a client that saw its write succeed can rely on the event. Event-
 * raising writes to one blob are serialized here, so the order events are numbered in is the order the
 * emulator committed them.
 */
export async function startBlobEventProxy(options: BlobEventProxyOptions): Promise<BlobEventProxy> {
  const agent = new http.Agent({ keepAlive: true });
  const lock = new KeyedLock();
  const onError = options.onError ?? ((message: string) => console.error(message));

  function forward(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    settle: (upstream: http.IncomingMessage) => Promise<void> | void,
    body?: Buffer,
  ): Promise<void> {
    return new Promise<void>((resolve) => {
      const upstream = http.request(
        {
          host: options.target.host,
          port: options.target.port,
          method: request.method,
          path: request.url,
          headers: endToEndHeaders(request.rawHeaders),
          agent,
        },
        (upstreamResponse) => {
          Promise.resolve(settle(upstreamResponse)).then(resolve, (error: unknown) => {
            onError(`storage proxy: ${(error as Error).message}`);
            if (!response.headersSent) response.writeHead(502).end();
            else response.destroy();
            resolve();
          });
        },
      );
      upstream.on('error', (error) => {
        onError(`storage proxy: ${request.method} ${request.url}: ${error.message}`);
        if (!response.headersSent) response.writeHead(502).end();
        else response.destroy();
        resolve();
      });
      if (body !== undefined) {
        upstream.end(body); // already read whole (a Blob Batch)
        return;
      }
      request.pipe(upstream);
      // The emulator may answer (a 404 ContainerNotFound, say) before it has read the request body, and stop
      // reading it. Node's server only discards an unread body when nothing consumes it; this one is piped, so
      // without this the rest of the body would stay unread and the client's next request on the same
      // keep-alive connection would never be parsed (a createIfNotExists after the 404 hung for its timeout).
      response.once('finish', () => {
        if (request.complete) return;
        request.unpipe(upstream);
        upstream.destroy();
        request.resume();
      });
    });
  }

  function passThrough(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    return forward(request, response, (upstream) => {
      response.writeHead(upstream.statusCode ?? 502, endToEndHeaders(upstream.rawHeaders));
      upstream.pipe(response);
      return new Promise<void>((resolve) => upstream.on('end', resolve).on('error', () => resolve()));
    });
  }

  async function writeWithEvent(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    operation: EventRaisingOperation,
    address: BlobAddress,
    pathname: string,
  ): Promise<void> {
    // A deleted blob's type and content type are only known before the delete.
    const before =
      operation.event === 'Microsoft.Storage.BlobDeleted'
        ? await options.describeBlob(address).catch((error: unknown) => {
            onError(
              `storage proxy: reading ${address.container}/${address.blobName} before its delete: ${(error as Error).message}`,
            );
            return undefined;
          })
        : undefined;
    await forward(request, response, async (upstream) => {
      const chunks: Buffer[] = [];
      for await (const chunk of upstream) chunks.push(chunk as Buffer);
      const status = upstream.statusCode ?? 502;
      if (status >= 200 && status < 300) {
        const common = {
          ...address,
          url: `http://${request.headers.host ?? `127.0.0.1:${options.target.port}`}${storedPath(address, pathname)}`,
          clientRequestId: firstHeader(request.headers['x-ms-client-request-id']),
          requestId: firstHeader(upstream.headers['x-ms-request-id']),
          time: new Date(),
        };
        try {
          if (operation.event === 'Microsoft.Storage.BlobDeleted') {
            await options.onWrite({
              ...common,
              eventType: operation.event,
              api: operation.api,
              contentType: before?.contentType,
              blobType: before?.blobType,
            });
          } else {
            // Without the read-back the event still goes out, with the request's length.
            const after = await options.describeBlob(address).catch((error: unknown) => {
              onError(
                `storage proxy: reading ${address.container}/${address.blobName} back: ${(error as Error).message}`,
              );
              return undefined;
            });
            const requestLength = Number(request.headers['content-length']);
            await options.onWrite({
              ...common,
              eventType: operation.event,
              api: operation.api,
              eTag: firstHeader(upstream.headers.etag) ?? '',
              contentType: after?.contentType,
              contentLength:
                after?.contentLength ??
                (operation.lengthFromRequest && Number.isSafeInteger(requestLength)
                  ? requestLength
                  : undefined),
              blobType: after?.blobType,
            });
          }
        } catch (error) {
          // The write happened and cannot be undone: say loudly that its event is missing.
          onError(
            `storage proxy: ${operation.event} for ${address.container}/${address.blobName} was not recorded: ${(error as Error).message}`,
          );
        }
      }
      // The body is forwarded whole and unchanged, so the emulator's Content-Length still holds.
      response.writeHead(status, endToEndHeaders(upstream.rawHeaders));
      response.end(Buffer.concat(chunks));
    });
  }

  /** A property write: forwarded, and on success its new eTag is reported before the client sees it. */
  function propertyWrite(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    address: BlobAddress,
  ): Promise<void> {
    return forward(request, response, async (upstream) => {
      const chunks: Buffer[] = [];
      for await (const chunk of upstream) chunks.push(chunk as Buffer);
      const status = upstream.statusCode ?? 502;
      const eTag = firstHeader(upstream.headers.etag);
      if (status >= 200 && status < 300 && eTag !== undefined && options.onPropertyWrite) {
        await options.onPropertyWrite({ ...address, eTag }).catch((error: unknown) => {
          onError(
            `storage proxy: the new eTag of ${address.container}/${address.blobName} was not recorded: ${(error as Error).message}`,
          );
        });
      }
      response.writeHead(status, endToEndHeaders(upstream.rawHeaders));
      response.end(Buffer.concat(chunks));
    });
  }

  async function readBody(request: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** Runs `work` holding the lock of every key (taken in sorted order, so two batches never deadlock). */
  function withLocks(keys: readonly string[], work: () => Promise<void>): Promise<void> {
    const sorted = [...new Set(keys)].sort();
    const take = (index: number): Promise<void> =>
      index >= sorted.length ? work() : lock.run(sorted[index] as string, () => take(index + 1));
    return take(0);
  }

  /**
   * A Blob Batch: forwarded unchanged; each Delete Blob sub-request the service answered with 2xx raises its
   * BlobDeleted, as Azure does (Set Blob Tier sub-requests raise nothing). The blobs it deletes are locked like
   * lone writes, so their events stay in commit order.
   */
  async function batchWithEvents(
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> {
    const body = await readBody(request);
    const boundary = multipartBoundary(firstHeader(request.headers['content-type']));
    const deletes = (
      boundary === undefined ? [] : batchSubRequests(body.toString('latin1'), boundary)
    ).flatMap((sub) => {
      const target = new URL(sub.target, 'http://proxy');
      const operation = eventRaisingOperation(sub.method, target.searchParams, sub.headers);
      const address = blobAddress(rawPathOf(sub.target));
      return operation?.event === 'Microsoft.Storage.BlobDeleted' && address !== undefined
        ? [{ sub, operation, address, path: rawPathOf(sub.target) }]
        : [];
    });
    const keys = deletes.map(({ address }) => `${address.account}/${address.container}/${address.blobName}`);
    await withLocks(keys, async () => {
      const before = await Promise.all(
        deletes.map(({ address }) => options.describeBlob(address).catch(() => undefined)),
      );
      await forward(
        request,
        response,
        async (upstream) => {
          const chunks: Buffer[] = [];
          for await (const chunk of upstream) chunks.push(chunk as Buffer);
          const status = upstream.statusCode ?? 502;
          const responseBoundary = multipartBoundary(firstHeader(upstream.headers['content-type']));
          if (status >= 200 && status < 300 && responseBoundary !== undefined && deletes.length > 0) {
            const answers = batchSubResponses(Buffer.concat(chunks).toString('latin1'), responseBoundary);
            for (const [index, { sub, operation, address, path }] of deletes.entries()) {
              const answer = answers.get(sub.contentId);
              if (answer === undefined || answer.status < 200 || answer.status >= 300) continue;
              await options
                .onWrite({
                  ...address,
                  url: `http://${request.headers.host ?? `127.0.0.1:${options.target.port}`}${storedPath(address, path)}`,
                  clientRequestId: sub.headers['x-ms-client-request-id'],
                  requestId: answer.requestId,
                  time: new Date(),
                  eventType: 'Microsoft.Storage.BlobDeleted',
                  api: operation.api,
                  contentType: before[index]?.contentType,
                  blobType: before[index]?.blobType,
                })
                .catch((error: unknown) => {
                  onError(
                    `storage proxy: BlobDeleted for ${address.container}/${address.blobName} (batch) was not recorded: ${(error as Error).message}`,
                  );
                });
            }
          }
          response.writeHead(status, endToEndHeaders(upstream.rawHeaders));
          response.end(Buffer.concat(chunks));
        },
        body,
      );
    });
  }

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://proxy');
    // The name as the service resolves it comes from the path as sent, not from the WHATWG-normalized one.
    const rawPath = rawPathOf(request.url ?? '/');
    const method = request.method ?? 'GET';
    if (isBlobBatch(method, url.searchParams)) {
      void batchWithEvents(request, response).catch((error: unknown) => {
        onError(`storage proxy: ${(error as Error).message}`);
        if (!response.headersSent) response.writeHead(502).end();
      });
      return;
    }
    const operation = eventRaisingOperation(method, url.searchParams, request.headers);
    const propertyAddress =
      operation === undefined && isPropertyWrite(method, url.searchParams) ? blobAddress(rawPath) : undefined;
    if (propertyAddress !== undefined) {
      const key = `${propertyAddress.account}/${propertyAddress.container}/${propertyAddress.blobName}`;
      void lock
        .run(key, () => propertyWrite(request, response, propertyAddress))
        .catch((error: unknown) => {
          onError(`storage proxy: ${(error as Error).message}`);
          if (!response.headersSent) response.writeHead(502).end();
        });
      return;
    }
    const address = operation ? blobAddress(rawPath) : undefined;
    if (operation === undefined || address === undefined) {
      void passThrough(request, response);
      return;
    }
    const key = `${address.account}/${address.container}/${address.blobName}`;
    void lock
      .run(key, () => writeWithEvent(request, response, operation, address, rawPath))
      .catch((error: unknown) => {
        onError(`storage proxy: ${(error as Error).message}`);
        if (!response.headersSent) response.writeHead(502).end();
      });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          agent.destroy();
          resolve();
        });
      }),
  };
}
