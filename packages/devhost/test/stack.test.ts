import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../src/services/ports';
import { eventGridSubscriber, startStack, type RunningStack } from '../src/stack';
import { readDurableHostConfig } from '../src/hostConfig';

const appRoot = path.resolve(__dirname, './fixtures/basic-app');
let stack: RunningStack;

interface ReceivedEvent {
  event: { subject: string; data: { api: string; eTag: string } };
}
const received = (): ReceivedEvent[] =>
  (globalThis as unknown as { fixtureEvents: ReceivedEvent[] }).fixtureEvents;

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  stack = await startStack({
    appRoot,
    port: 0,
    azurite: {
      ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
      location: 'memory',
    },
    cosmos: { endpoint: inject('cosmosEndpoint'), key: inject('cosmosKey') },
    pollIntervalMs: 100,
    logger: () => undefined,
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('startStack with a fixture app', () => {
  it('reads the Durable settings from host.json', () => {
    expect(readDurableHostConfig(appRoot)).toEqual({
      hubName: 'BasicFixtureHub',
      maxConcurrentActivityFunctions: 2,
    });
  });

  it('serves the host status as Running once everything is up', async () => {
    const response = await fetch(`${stack.baseUrl}/admin/host/status`);
    expect(await response.json()).toEqual({ state: 'Running' });
  });

  it('turns an upload into images-unprocessed into a BlobCreated event for the Event Grid function', async () => {
    const blob = BlobServiceClient.fromConnectionString(stack.connectionString)
      .getContainerClient('images-unprocessed')
      .getBlockBlobClient('stack/one.jpg');
    const uploaded = await blob.uploadData(Buffer.from('x'));
    const event = await waitFor('the event', () =>
      received().find((entry) => entry.event.subject.endsWith('/images-unprocessed/blobs/stack/one.jpg')),
    );
    expect(event.event.data).toMatchObject({ api: 'PutBlob', eTag: uploaded.etag });
  });

  it('runs an orchestration started through the durable client and reports it on the status URL', async () => {
    const started = await fetch(`${stack.baseUrl}/api/start`, { method: 'POST' });
    expect(started.status).toBe(202);
    const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
    expect(statusQueryGetUri.startsWith(`${stack.baseUrl}/runtime/webhooks/durabletask/instances/`)).toBe(
      true,
    );
    const status = await waitFor('completion', async () => {
      const response = await fetch(statusQueryGetUri);
      const body = (await response.json()) as { runtimeStatus: string; output: unknown };
      return response.status === 200 ? body : undefined;
    });
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: ['Hello a', 'Hello b'] });
  });

  it('refuses to start a second host on a busy port, naming it', async () => {
    const port = Number(new URL(stack.baseUrl).port);
    await expect(
      startStack({
        appRoot,
        port,
        azurite: { connectionString: stack.connectionString },
        cosmos: { endpoint: stack.cosmosEndpoint },
      }),
    ).rejects.toThrow(`Port ${port} (Functions host) is already in use`);
  });
});

describe('eventGridSubscriber', () => {
  it("delivers to the app's only Event Grid function, or to the one named", () => {
    expect(eventGridSubscriber(['onUpload'])).toBe('onUpload');
    expect(eventGridSubscriber([])).toBeUndefined();
    expect(eventGridSubscriber(['a', 'b'], 'b')).toBe('b');
  });

  it('refuses to guess between several, and a name the app does not register', () => {
    expect(() => eventGridSubscriber(['a', 'b'])).toThrow(
      'The app registers several Event Grid functions (a, b): name the one to subscribe with eventGridFunction',
    );
    expect(() => eventGridSubscriber(['a'], 'c')).toThrow(
      'Expected an Event Grid function of the app for eventGridFunction but received "c" (the app has: a)',
    );
  });
});
