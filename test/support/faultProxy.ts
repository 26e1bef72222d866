import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A reverse proxy in front of Azurite's blob endpoint that answers chosen requests the way Azure Storage answers
 * a request its caller may not make yet: 403 `AuthorizationPermissionMismatch` (what a role assignment that is
 * still propagating gives, for minutes). The SDK does not retry a 403, so the activity throws and Durable's
 * retries, then the re-drive, are what recover. Everything else is forwarded unchanged (Shared Key signatures
 * cover the path and headers, not the host, so they still verify).
 */
export interface FaultProxy {
  /** The proxy's blob endpoint, e.g. `http://127.0.0.1:51234/devstoreaccount1`. */
  blobEndpoint: string;
  /** Fails the next `times` requests that `matches` (method and decoded path); `Infinity` until `clear()`. */
  fail(matches: (method: string, path: string) => boolean, times: number): void;
  clear(): void;
  /** How many requests were failed so far. */
  readonly failures: number;
  close(): Promise<void>;
}

const PERMISSION_MISMATCH = [
  '<?xml version="1.0" encoding="utf-8"?>',
  '<Error><Code>AuthorizationPermissionMismatch</Code>',
  '<Message>This request is not authorized to perform this operation using this permission.</Message></Error>',
].join('');

/** `upstreamBlobEndpoint`: Azurite's, e.g. `http://127.0.0.1:10000/devstoreaccount1`. */
export async function startFaultProxy(upstreamBlobEndpoint: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamBlobEndpoint);
  let rule: { matches: (method: string, path: string) => boolean; remaining: number } | undefined;
  let failures = 0;

  const server = http.createServer((request, response) => {
    const method = request.method ?? 'GET';
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://proxy').pathname);
    if (rule && rule.remaining > 0 && rule.matches(method, path)) {
      rule.remaining -= 1;
      failures += 1;
      request.resume();
      request.on('end', () => {
        response.writeHead(403, {
          'content-type': 'application/xml',
          'x-ms-error-code': 'AuthorizationPermissionMismatch',
          'x-ms-request-id': `fault-${failures}`,
          'x-ms-version': '2025-01-05',
        });
        response.end(PERMISSION_MISMATCH);
      });
      return;
    }
    const forwarded = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    blobEndpoint: `http://127.0.0.1:${port}${upstream.pathname.replace(/\/$/, '')}`,
    fail(matches, times) {
      rule = { matches, remaining: times };
    },
    clear() {
      rule = undefined;
    },
    get failures() {
      return failures;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A connection string like `base` whose blob endpoint is `blobEndpoint` (queue and table unchanged). */
export function withBlobEndpoint(base: string, blobEndpoint: string): string {
  return base
    .split(';')
    .map((part) => (part.startsWith('BlobEndpoint=') ? `BlobEndpoint=${blobEndpoint}` : part))
    .join(';');
}

/** The `BlobEndpoint=` of a connection string. */
export function blobEndpointOf(connectionString: string): string {
  const endpoint = /(?:^|;)BlobEndpoint=([^;]+)/.exec(connectionString)?.[1];
  if (!endpoint) throw new Error('Expected a connection string with BlobEndpoint');
  return endpoint;
}
