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
    const path = url.pathname.replace(/^\/durabletask\//, '');
    requests.push(`${request.method} ${path}`);
    const body = await readBody(request);
    const send = (status: number, json?: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
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
    send(404);
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
      return df.getClient(context);
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
