import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubInstance {
  name: string;
  instanceId: string;
  input: unknown;
  runtimeStatus: string;
  customStatus: unknown;
  output: unknown;
}

export interface DurableApiStub {
  /** Instances by id; tests seed them and read what `startNew` created. */
  instances: Map<string, StubInstance>;
  /** Every request as `METHOD path` (path relative to the Durable API base). */
  requests: string[];
  /** When set, every request is answered with this status (a throttled or broken task hub). */
  failWith: number | undefined;
  /** A real durable-functions client, bound the way the host binds `durableClient` inputs. */
  client(): DurableClient;
  stop(): Promise<void>;
}

const RUNNING = new Set(['Running', 'Pending', 'ContinuedAsNew', 'Suspended']);
const HUB = 'ImageDerivatives';
const KEY = 'test-system-key';

function statusPayload(instance: StubInstance) {
  return {
    name: instance.name,
    instanceId: instance.instanceId,
    runtimeStatus: instance.runtimeStatus,
    input: instance.input,
    customStatus: instance.customStatus,
    output: instance.output,
    createdTime: '2026-11-24T04:00:00Z',
    lastUpdatedTime: '2026-11-24T04:00:01Z',
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The slice of the Durable extension's HTTP API (HttpApiHandler: start, instance status) that the real
 * durable-functions client calls, with the extension's status codes: 202 on start, 404 for an unknown
 * instance, 202 while running and 200 once ended. The Durable extension itself cannot run here.
 */
export async function startDurableApiStub(): Promise<DurableApiStub> {
  const instances = new Map<string, StubInstance>();
  const requests: string[] = [];
  const stub = { instances, requests, failWith: undefined as number | undefined };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://stub');
    // The client calls the RPC base (`/durabletask/…`); the instance query goes to the management URL.
    const path = url.pathname.replace(/^\/(runtime\/webhooks\/)?durabletask\//, '');
    requests.push(`${request.method} ${path}`);
    const body = await readBody(request);
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      response.end(json === undefined ? '' : JSON.stringify(json));
    };
    if (stub.failWith !== undefined) return send(stub.failWith, { Message: 'stub failure' });

    const start = /^orchestrators\/([^/]+)\/([^/]+)$/.exec(path);
    if (request.method === 'POST' && start) {
      const [, name = '', instanceId = ''] = start;
      const existing = instances.get(instanceId);
      if (existing && RUNNING.has(existing.runtimeStatus)) return send(409, { Message: 'already exists' });
      instances.set(instanceId, {
        name,
        instanceId,
        input: body === '' ? null : (JSON.parse(body) as unknown),
        runtimeStatus: 'Pending',
        customStatus: null,
        output: null,
      });
      return send(202, { id: instanceId });
    }
    const status = /^instances\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && status) {
      const instance = instances.get(decodeURIComponent(status[1] ?? ''));
      if (!instance) return send(404);
      return send(RUNNING.has(instance.runtimeStatus) ? 202 : 200, statusPayload(instance));
    }
    if (request.method === 'GET' && /^instances\/?$/.test(path)) {
      const token = request.headers['x-ms-continuation-token'];
      const page = queryPage(url, typeof token === 'string' ? token : undefined);
      return send(200, page.body, page.headers);
    }
    send(404);
  }

  /**
   * `GET instances?instanceIdPrefix=&runtimeStatus=&showInput=&top=` as the extension over Azure Storage answers
   * it: instances in PartitionKey (instance id, ordinal) order, `top` (here 2 unless given) per page with
   * `x-ms-continuation-token` until the last page, and a first page that may be empty yet carry a token
   * (Table storage may end a page before any match). Clients must follow the token.
   */
  function queryPage(
    url: URL,
    token: string | undefined,
  ): { body: unknown[]; headers: Record<string, string> } {
    const prefix = url.searchParams.get('instanceIdPrefix') ?? '';
    const statuses = (url.searchParams.get('runtimeStatus') ?? '')
      .split(',')
      .filter(Boolean)
      .map((status) => status.toLowerCase());
    const showInput = url.searchParams.get('showInput')?.toLowerCase() !== 'false';
    const top = Number(url.searchParams.get('top') ?? 2);
    const matches = [...instances.values()]
      .filter((instance) => instance.instanceId.startsWith(prefix))
      .filter((instance) => statuses.length === 0 || statuses.includes(instance.runtimeStatus.toLowerCase()))
      .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
    // No token: the (empty) first page; a token: the index of the page's first match.
    const from = token === undefined ? undefined : Number(token);
    const page = from === undefined ? [] : matches.slice(from, from + top);
    const after = from === undefined ? 0 : from + top;
    const body = page.map((instance) => ({
      ...statusPayload(instance),
      ...(showInput ? {} : { input: null }),
    }));
    const more = after < matches.length;
    return { body, headers: more ? { 'x-ms-continuation-token': String(after) } : {} };
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const webhook = `${origin}/runtime/webhooks/durabletask`;
  const query = `taskHub=${HUB}&connection=Storage&code=${KEY}`;
  const clientData = {
    taskHubName: HUB,
    creationUrls: {
      createNewInstancePostUri: `${webhook}/orchestrators/{functionName}[/{instanceId}]?code=${KEY}`,
      createAndWaitOnNewInstancePostUri: `${webhook}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${KEY}`,
    },
    managementUrls: {
      id: 'INSTANCEID',
      statusQueryGetUri: `${webhook}/instances/INSTANCEID?${query}`,
      sendEventPostUri: `${webhook}/instances/INSTANCEID/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${webhook}/instances/INSTANCEID/terminate?reason={text}&${query}`,
      rewindPostUri: `${webhook}/instances/INSTANCEID/rewind?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${webhook}/instances/INSTANCEID?${query}`,
      restartPostUri: `${webhook}/instances/INSTANCEID/restart?${query}`,
      suspendPostUri: `${webhook}/instances/INSTANCEID/suspend?reason={text}&${query}`,
      resumePostUri: `${webhook}/instances/INSTANCEID/resume?reason={text}&${query}`,
    },
    baseUrl: webhook,
    requiredQueryStringParameters: `code=${KEY}`,
    rpcBaseUrl: `${origin}/durabletask/`,
  };

  return Object.assign(stub, {
    client(): DurableClient {
      const clientInput = df.input.durableClient();
      const context = new InvocationContext({
        functionName: 'test',
        options: {
          trigger: { type: 'httpTrigger', name: 'request' },
          extraInputs: [clientInput],
          extraOutputs: [],
        },
      });
      context.extraInputs.set(clientInput, clientData);
      // As in Azure, where App Service sets WEBSITE_HOSTNAME: without it durable-functions rewrites every
      // management URL (the instance query's among them) to http://localhost:7071. Set only for this call.
      const saved = process.env.WEBSITE_HOSTNAME;
      process.env.WEBSITE_HOSTNAME = new URL(origin).host;
      try {
        return df.getClient(context);
      } finally {
        if (saved === undefined) delete process.env.WEBSITE_HOSTNAME;
        else process.env.WEBSITE_HOSTNAME = saved;
      }
    },
    stop: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  });
}

/** An invocation context whose log lines are collected (the structured logger writes JSON lines). */
export function recordingContext(): {
  context: InvocationContext;
  lines: Array<{ level: string; line: Record<string, unknown> }>;
} {
  const lines: Array<{ level: string; line: Record<string, unknown> }> = [];
  const context = new InvocationContext({
    functionName: 'test',
    invocationId: 'invocation-1',
    logHandler: (level, ...args) => {
      const text = args.map(String).join(' ');
      lines.push({ level, line: JSON.parse(text) as Record<string, unknown> });
    },
  });
  return { context, lines };
}
