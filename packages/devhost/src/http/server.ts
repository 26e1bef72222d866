import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DurableHost, FunctionInvoker, HttpExchangeRequest, HttpExchangeResponse } from '../contracts';
import { handleEventGridWebhook } from './eventGridWebhook';
import { httpRoutes, matchRoute, type HttpRoute } from './httpRoutes';
import { flattenHeaders, fromHttpReturn, toHttpTypedData } from './httpTypedData';
import { errorReply, jsonReply } from './jsonReply';

/** The Functions host's default request size limit (100 MB). */
const MAX_BODY_BYTES = 100 * 1024 * 1024;
const API_PREFIX = '/api/';
const DURABLE_PREFIX = '/runtime/webhooks/durabletask/';
const EVENT_GRID_PATH = '/runtime/webhooks/eventgrid';

export interface HostServerOptions {
  invoker: FunctionInvoker;
  /** Serves /runtime/webhooks/durabletask/...; may be attached later with `useDurableHost`. */
  durableHost?: DurableHost;
  /** 7071 like Core Tools; 0 picks a free port. */
  port?: number;
  hostname?: string;
  /** Called with every request failure the host answers with a 5xx. */
  onError?: (message: string, error: unknown) => void;
}

export interface HostServer {
  /** e.g. http://127.0.0.1:7071 */
  baseUrl: string;
  port: number;
  /** `/admin/host/status` says Running only once ready. */
  setReady(ready: boolean): void;
  useDurableHost(host: DurableHost): void;
  close(): Promise<void>;
}

class BodyTooLargeError extends Error {}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The Host values this server answers: the loopback names with its port (and without it on port 80), plus the
 * name it listens on. Anything else is a DNS-rebinding page (a name of the attacker's that now resolves to
 * 127.0.0.1) or a misrouted request: the app derives "its own origin" from Host, so another Host must not
 * reach it. A request with no Host (HTTP/1.0) comes from no browser and passes.
 */
export function allowedHosts(hostname: string, port: number): ReadonlySet<string> {
  const names = new Set([...LOOPBACK_NAMES, hostname.includes(':') ? `[${hostname}]` : hostname]);
  const hosts = new Set<string>();
  for (const name of names) {
    hosts.add(`${name}:${port}`.toLowerCase());
    if (port === 80) hosts.add(name.toLowerCase());
  }
  return hosts;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new BodyTooLargeError(`The request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, reply: HttpExchangeResponse, cookies: string[] = []): void {
  const headers: Record<string, string | string[]> = { ...reply.headers };
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  response.writeHead(reply.status, headers);
  response.end(reply.body);
}

/** The local Functions host's HTTP surface: host status, /api routes, Event Grid and Durable webhooks. */
export async function startHostServer(options: HostServerOptions): Promise<HostServer> {
  const { invoker } = options;
  const routes: HttpRoute[] = httpRoutes(invoker.functions());
  let durableHost = options.durableHost;
  let ready = false;
  let baseUrl = '';
  let hosts: ReadonlySet<string> = new Set();
  const reportError = options.onError ?? ((message, error) => console.error(message, error));

  async function invokeHttpFunction(
    exchange: HttpExchangeRequest,
    url: URL,
  ): Promise<{ reply: HttpExchangeResponse; cookies: string[] }> {
    const path = url.pathname.slice(API_PREFIX.length);
    const match = matchRoute(routes, exchange.method, path);
    if (!match) return { reply: errorReply(404, `No HTTP function matches ${url.pathname}`), cookies: [] };
    if ('methodNotAllowed' in match) {
      // The Functions host treats methods as a route constraint: a wrong method is a 404.
      return {
        reply: errorReply(404, `No HTTP function accepts ${exchange.method} ${url.pathname}`),
        cookies: [],
      };
    }
    const result = await invoker.invoke(match.route.functionName, {
      triggerData: toHttpTypedData({
        method: exchange.method,
        url,
        headers: exchange.headers,
        params: match.params,
        body: exchange.body,
      }),
    });
    if (!result.ok) {
      reportError(`Function "${match.route.functionName}" failed: ${result.error.message}`, result.error);
      return { reply: errorReply(500, `Function "${match.route.functionName}" failed`), cookies: [] };
    }
    const reply = fromHttpReturn(result.returnValue);
    return {
      reply: { status: reply.status, headers: reply.headers, body: reply.body },
      cookies: reply.cookies,
    };
  }

  async function route(
    request: IncomingMessage,
  ): Promise<{ reply: HttpExchangeResponse; cookies: string[] }> {
    const host = request.headers.host;
    if (host !== undefined && !hosts.has(host.toLowerCase())) {
      return {
        reply: errorReply(
          421,
          `This local host answers only Host ${[...hosts].join(', ')}; received ${JSON.stringify(host.slice(0, 200))}`,
        ),
        cookies: [],
      };
    }
    let url: URL;
    try {
      url = new URL(request.url ?? '/', `http://${request.headers.host ?? new URL(baseUrl).host}`);
    } catch {
      return { reply: errorReply(400, 'The request URL or Host header is not valid'), cookies: [] };
    }
    const method = (request.method ?? 'GET').toUpperCase();
    const exchange: HttpExchangeRequest = {
      method,
      url: url.href,
      headers: flattenHeaders(request.headers),
      body: await readBody(request),
    };
    const path = url.pathname;
    if (path.toLowerCase() === '/admin/host/status') {
      return { reply: jsonReply(200, { state: ready ? 'Running' : 'Initialized' }), cookies: [] };
    }
    if (path.toLowerCase() === EVENT_GRID_PATH)
      return { reply: await handleEventGridWebhook(invoker, exchange), cookies: [] };
    if (path.toLowerCase().startsWith(DURABLE_PREFIX)) {
      if (!durableHost)
        return { reply: errorReply(404, 'The Durable HTTP API is not available on this host'), cookies: [] };
      return { reply: await durableHost.handleHttp(exchange), cookies: [] };
    }
    if (path.startsWith(API_PREFIX)) return invokeHttpFunction(exchange, url);
    return { reply: errorReply(404, `Nothing is served at ${path}`), cookies: [] };
  }

  const server = http.createServer((request, response) => {
    route(request).then(
      ({ reply, cookies }) => send(response, reply, cookies),
      (error: unknown) => {
        if (error instanceof BodyTooLargeError) {
          send(response, errorReply(413, error.message));
          return;
        }
        reportError(`Request ${request.method} ${request.url} failed`, error);
        send(response, errorReply(500, 'The local host failed to process the request'));
      },
    );
  });

  const hostname = options.hostname ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${hostname}:${port}`;
  hosts = allowedHosts(hostname, port);

  return {
    baseUrl,
    port,
    setReady: (value) => {
      ready = value;
    },
    useDurableHost: (host) => {
      durableHost = host;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
