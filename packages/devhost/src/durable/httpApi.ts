import type { HttpExchangeRequest, HttpExchangeResponse } from '../contracts';
import { checkStatusPayload, WEBHOOK_PATH } from './clientBinding';
import type { ControlResult, DurableTaskEngine } from './engine';
import { PayloadTooLargeError } from './chunks';
import { DurableRequestError } from './errors';
import { isTerminal, RUNTIME_STATUSES, statusPayload } from './status';
import type { InstanceQuery } from './store';

const JSON_TYPE = 'application/json; charset=utf-8';
const WAIT_POLL_MS = 250;

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpExchangeResponse {
  return { status, headers: { 'Content-Type': JSON_TYPE, ...headers }, body: JSON.stringify(body) };
}

function empty(status: number, headers: Record<string, string> = {}): HttpExchangeResponse {
  return { status, headers, body: '' };
}

function message(status: number, text: string): HttpExchangeResponse {
  return json(status, { Message: text });
}

/** The extension's `bool.TryParse` for query flags: anything but true/false means the default. */
function flag(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = query.get(name)?.toLowerCase();
  return value === 'true' ? true : value === 'false' ? false : fallback;
}

class BadRequest extends Error {}

function parseDate(query: URLSearchParams, name: string): Date | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new BadRequest(`Expected an ISO 8601 date for ${name} but received ${JSON.stringify(text)}`);
  return date;
}

function parseQuery(query: URLSearchParams): InstanceQuery {
  const statuses = (query.get('runtimeStatus') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const match = RUNTIME_STATUSES.find((status) => status.toLowerCase() === s.toLowerCase());
      if (!match)
        throw new BadRequest(
          `Expected one of ${RUNTIME_STATUSES.join(', ')} for runtimeStatus but received ${JSON.stringify(s)}`,
        );
      return match;
    });
  return {
    ...(statuses.length > 0 ? { runtimeStatus: statuses } : {}),
    createdTimeFrom: parseDate(query, 'createdTimeFrom'),
    createdTimeTo: parseDate(query, 'createdTimeTo'),
    instanceIdPrefix: query.get('instanceIdPrefix') ?? undefined,
  };
}

/** Request body as input JSON text: empty means no input; invalid JSON is refused like the extension. */
function bodyJson(request: HttpExchangeRequest): string | undefined {
  const text = request.body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    JSON.parse(text);
  } catch {
    throw new BadRequest('Invalid JSON content');
  }
  return text;
}

function header(request: HttpExchangeRequest, name: string): string | undefined {
  const key = Object.keys(request.headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : request.headers[key];
}

function controlResponse(result: ControlResult): HttpExchangeResponse {
  if (result === 'notFound') return empty(404);
  if (result === 'gone') return empty(410);
  return empty(202);
}

/**
 * The Durable extension's HTTP API (`HttpApiHandler.cs`) over this engine: same routes, status codes and JSON
 * shapes, so `df.getClient(context)` and `createCheckStatusResponse` URLs work unmodified.
 */
export class DurableHttpApi {
  constructor(
    private readonly engine: DurableTaskEngine,
    private readonly taskHub: string,
  ) {}

  async handle(request: HttpExchangeRequest): Promise<HttpExchangeResponse> {
    const url = new URL(request.url);
    const at = url.pathname.indexOf(WEBHOOK_PATH);
    if (at < 0) return empty(404);
    const segments = url.pathname
      .slice(at + WEBHOOK_PATH.length)
      .split('/')
      .filter(Boolean)
      .map((segment) => decodeURIComponent(segment));
    const method = request.method.toUpperCase();
    try {
      return await this.#route(method, segments, url, request);
    } catch (error) {
      if (error instanceof BadRequest) return message(400, error.message);
      if (error instanceof DurableRequestError) return message(error.statusCode, error.message);
      if (error instanceof PayloadTooLargeError) return message(400, error.message);
      return message(500, `${(error as Error).message}`);
    }
  }

  async #route(
    method: string,
    segments: string[],
    url: URL,
    request: HttpExchangeRequest,
  ): Promise<HttpExchangeResponse> {
    const [resource, first, second, third, ...rest] = segments;
    if (rest.length > 0) return empty(404);
    if (resource === 'orchestrators' && first !== undefined && third === undefined) {
      return method === 'POST' ? this.#start(first, second, url, request) : empty(405);
    }
    if (resource === 'instances') {
      if (first === undefined) {
        if (method === 'GET') return this.#list(url, request);
        if (method === 'DELETE') return this.#purgeBy(url);
        return empty(405);
      }
      if (second === undefined) {
        if (method === 'GET') return this.#status(first, url);
        if (method === 'DELETE') {
          return (await this.engine.purge(first)) ? json(200, { instancesDeleted: 1 }) : empty(404);
        }
        return empty(405);
      }
      if (method !== 'POST') return empty(405);
      if (second === 'raiseEvent' && third !== undefined) return this.#raiseEvent(first, third, request);
      if (third !== undefined) return empty(404);
      const reason = url.searchParams.get('reason') ?? undefined;
      switch (second) {
        case 'terminate':
          return controlResponse(await this.engine.terminate(first, reason));
        case 'suspend':
          return controlResponse(await this.engine.suspend(first, reason));
        case 'resume':
          return controlResponse(await this.engine.resume(first, reason));
        case 'restart':
          return this.#restart(first, url);
        case 'rewind':
          return message(501, 'Rewind is not supported by the local Durable engine.');
        default:
          return empty(404);
      }
    }
    if (resource === 'entities')
      return message(501, 'Durable entities are not supported by the local Durable engine.');
    return empty(404);
  }

  async #start(
    name: string,
    instanceId: string | undefined,
    url: URL,
    request: HttpExchangeRequest,
  ): Promise<HttpExchangeResponse> {
    const input = bodyJson(request);
    const id = await this.engine.startNew(name, instanceId, input);
    const timeoutSeconds = Number(url.searchParams.get('timeout') ?? NaN);
    if (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0) {
      const deadline = Date.now() + timeoutSeconds * 1000;
      // `WaitForCompletionOrCreateCheckStatusResponseAsync`: the output when Completed, the status object with
      // 500 when Failed and 200 when Terminated, the check-status response when time runs out.
      while (Date.now() < deadline) {
        const record = await this.engine.getInstance(id);
        if (record?.runtimeStatus === 'Completed') {
          return { ...json(200, null), body: record.output ?? 'null' };
        }
        if (record && isTerminal(record.runtimeStatus)) {
          const status = statusPayload(record, {
            showInput: true,
            showHistory: false,
            showHistoryOutput: false,
          });
          return json(record.runtimeStatus === 'Failed' ? 500 : 200, status);
        }
        await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
      }
    }
    const payload = checkStatusPayload(url.origin, this.taskHub, id);
    return json(202, payload, { Location: payload.statusQueryGetUri ?? '', 'Retry-After': '10' });
  }

  async #status(instanceId: string, url: URL): Promise<HttpExchangeResponse> {
    const record = await this.engine.getInstance(instanceId);
    if (!record) return empty(404);
    const options = {
      showInput: flag(url.searchParams, 'showInput', true),
      showHistory: flag(url.searchParams, 'showHistory', false),
      showHistoryOutput: flag(url.searchParams, 'showHistoryOutput', false),
    };
    const history = options.showHistory ? await this.engine.getHistory(record) : undefined;
    const body = statusPayload(record, options, history);
    switch (record.runtimeStatus) {
      case 'Completed':
      case 'Terminated':
      case 'Canceled':
        return json(200, body);
      case 'Failed':
        return json(flag(url.searchParams, 'returnInternalServerErrorOnFailure', false) ? 500 : 200, body);
      default:
        return json(202, body, { Location: url.href, 'Retry-After': '5' });
    }
  }

  async #list(url: URL, request: HttpExchangeRequest): Promise<HttpExchangeResponse> {
    const query = parseQuery(url.searchParams);
    const topText = url.searchParams.get('top');
    const top = topText ? Number(topText) : undefined;
    if (top !== undefined && (!Number.isInteger(top) || top < 1)) {
      throw new BadRequest(`Expected a positive integer for top but received ${JSON.stringify(topText)}`);
    }
    const token = header(request, 'x-ms-continuation-token') || undefined;
    const page = await this.engine.store.queryInstances(query, top, token);
    const options = {
      showInput: flag(url.searchParams, 'showInput', true),
      showHistory: false,
      showHistoryOutput: false,
    };
    return json(
      200,
      page.records.map((record) => statusPayload(record, options)),
      page.continuationToken ? { 'x-ms-continuation-token': page.continuationToken } : {},
    );
  }

  async #purgeBy(url: URL): Promise<HttpExchangeResponse> {
    const query = parseQuery(url.searchParams);
    if (!query.createdTimeFrom) throw new BadRequest('createdTimeFrom is required to purge instances');
    const deleted = await this.engine.purgeBy(query);
    return deleted === 0 ? empty(404) : json(200, { instancesDeleted: deleted });
  }

  async #raiseEvent(
    instanceId: string,
    eventName: string,
    request: HttpExchangeRequest,
  ): Promise<HttpExchangeResponse> {
    const contentType = header(request, 'content-type') ?? '';
    if (!contentType.toLowerCase().startsWith('application/json')) {
      throw new BadRequest("Only 'application/json' request content is supported.");
    }
    const input = bodyJson(request);
    return controlResponse(await this.engine.raiseEvent(instanceId, eventName, input));
  }

  async #restart(instanceId: string, url: URL): Promise<HttpExchangeResponse> {
    const record = await this.engine.getInstance(instanceId);
    if (!record) return empty(404);
    const newId = flag(url.searchParams, 'restartWithNewInstanceId', true) ? undefined : instanceId;
    const id = await this.engine.startNew(record.name, newId, record.input);
    const payload = checkStatusPayload(url.origin, this.taskHub, id);
    return json(202, payload, { Location: payload.statusQueryGetUri ?? '', 'Retry-After': '10' });
  }
}
