import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadFunctionApp, silentLogger } from '../../src/functions';
import { startHostServer, type HostServer } from '../../src/http';

interface ReceivedEvent {
  event: { id: string };
  triggerMetadata: Record<string, unknown>;
}
/** What the fixture's Event Grid function recorded (it runs in this process). */
const received = (): ReceivedEvent[] =>
  (globalThis as unknown as { fixtureEvents: ReceivedEvent[] }).fixtureEvents;

const appRoot = path.resolve(__dirname, '../fixtures/basic-app');
let server: HostServer;
let webhook: string;

function event(id: string, data: Record<string, unknown> = {}) {
  return {
    id,
    topic: '/t',
    subject: `/s/${id}`,
    eventType: 'Test.Event',
    eventTime: '2024-01-01T00:00:00Z',
    data,
    dataVersion: '',
    metadataVersion: '1',
  };
}

function post(body: string, eventType?: string, url = webhook): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(eventType ? { 'aeg-event-type': eventType } : {}) },
    body,
  });
}

beforeAll(async () => {
  const app = await loadFunctionApp(appRoot, { logger: silentLogger, applyLocalSettings: false });
  server = await startHostServer({ invoker: app.invoker, port: 0, onError: () => undefined });
  webhook = `${server.baseUrl}/runtime/webhooks/eventgrid?functionName=onEvent`;
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  received().length = 0;
});

describe('Event Grid webhook', () => {
  it('answers the SubscriptionValidation handshake with the validation code and invokes nothing', async () => {
    const validation = [
      {
        ...event('v'),
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        data: { validationCode: 'code-123' },
      },
    ];
    const response = await post(JSON.stringify(validation), 'SubscriptionValidation');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ validationResponse: 'code-123' });
    expect(received()).toHaveLength(0);
  });

  it('answers a CloudEvents validation whose data is JSON text', async () => {
    const response = await post(
      JSON.stringify({ id: 'c', data: JSON.stringify({ validationCode: 'ce-1' }) }),
      'subscriptionvalidation',
    );
    expect(await response.json()).toEqual({ validationResponse: 'ce-1' });
  });

  it('answers the CloudEvents OPTIONS handshake', async () => {
    const response = await fetch(webhook, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  it('answers Unsubscribe with 202', async () => {
    expect((await post('[]', 'Unsubscribe')).status).toBe(202);
  });

  it('rejects a missing or unknown aeg-event-type and malformed JSON with 400', async () => {
    const missing = await post(JSON.stringify([event('a')]));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      error: 'The aeg-event-type header must be SubscriptionValidation, Notification or Unsubscribe',
    });
    expect((await post(JSON.stringify([event('a')]), 'Bogus')).status).toBe(400);
    const malformed = await post('[{"id":', 'Notification');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: 'The request body is not valid JSON' });
    expect((await post('[1, 2]', 'Notification')).status).toBe(400);
    expect((await post('[]', 'Notification')).status).toBe(400);
    expect(received()).toHaveLength(0);
  });

  it('answers 404 for a function that is not an Event Grid function', async () => {
    const response = await post(
      JSON.stringify([event('a')]),
      'Notification',
      `${server.baseUrl}/runtime/webhooks/eventgrid?functionName=greet`,
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "cannot find function: 'greet'" });
  });

  it('splits a batch into one invocation per event with the event as trigger input and data as metadata', async () => {
    const batch = [event('1', { n: 1 }), event('2', { n: 2 }), event('3', { n: 3 })];
    const response = await post(JSON.stringify(batch), 'Notification');
    expect(response.status).toBe(202);
    expect(
      received()
        .map((entry) => entry.event)
        .sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual(batch);
    for (const entry of received()) {
      expect(entry.triggerMetadata.data).toEqual(batch.find((sent) => sent.id === entry.event.id)?.data);
    }
  });

  it('wraps a single event object in a batch of one', async () => {
    expect((await post(JSON.stringify(event('solo')), 'Notification')).status).toBe(202);
    expect(received().map((entry) => entry.event.id)).toEqual(['solo']);
  });

  it('answers 500 naming the failure when any event of the batch fails, after invoking every event', async () => {
    const response = await post(JSON.stringify([event('ok'), event('bad', { fail: true })]), 'Notification');
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: '1 of 2 event(s) failed: event bad failed on purpose' });
    expect(received()).toHaveLength(2);
  });
});
