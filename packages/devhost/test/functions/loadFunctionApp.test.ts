import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TypedData } from '../../src/contracts';
import { loadFunctionApp, type HostLogEntry, type LoadedFunctionApp } from '../../src/functions';

const appRoot = path.resolve(__dirname, '../fixtures/basic-app');
const logs: HostLogEntry[] = [];
let app: LoadedFunctionApp;

interface FixtureGlobals {
  fixtureEvents: Array<{ event: unknown; triggerMetadata: unknown }>;
  fixtureHookCalls: string[];
}
/** The fixture app runs in this process and records what it sees on globalThis. */
const fixture = globalThis as unknown as FixtureGlobals;

function httpData(method: string, url: string, body = '', params: Record<string, string> = {}): TypedData {
  const parsed = new URL(url);
  return {
    http: {
      method,
      url,
      headers: { 'x-test': 'yes' },
      query: Object.fromEntries(parsed.searchParams),
      params,
      body: { bytes: Buffer.from(body) },
    },
  };
}

function bodyText(returnValue: TypedData | undefined): string {
  const http = returnValue?.http as { body?: { bytes?: Uint8Array } } | undefined;
  return Buffer.from(http?.body?.bytes ?? []).toString('utf8');
}

beforeAll(async () => {
  app = await loadFunctionApp(appRoot, { logger: (entry) => logs.push(entry), applyLocalSettings: false });
});

describe('loadFunctionApp', () => {
  it('loads every file matched by the package.json main glob, in order', () => {
    expect(app.entryPoints.map((file) => path.relative(appRoot, file))).toEqual([
      'functions/durable.js',
      'functions/events.js',
      'functions/hooks.js',
      'functions/http.js',
    ]);
  });

  it('captures the registration metadata exactly as @azure/functions and durable-functions build it', () => {
    const byName = Object.fromEntries(app.registrations().map((r) => [r.functionId, r.metadata]));
    expect(Object.keys(byName).sort()).toEqual([
      'broken',
      'clientData',
      'fanOut',
      'files',
      'greet',
      'itemById',
      'onEvent',
      'plain',
      'sayHello',
      'startFanOut',
    ]);
    // Binding names are the library's deterministic hashes, the same on every load.
    expect(byName.onEvent).toEqual({
      name: 'onEvent',
      bindings: {
        eventGridTrigger69f302e322: {
          type: 'eventGridTrigger',
          name: 'eventGridTrigger69f302e322',
          direction: 'in',
          properties: { supportsDeferredBinding: 'false' },
        },
      },
    });
    expect(byName.fanOut?.bindings).toEqual({
      orchestrationTrigger56e21d4b3e: {
        type: 'orchestrationTrigger',
        name: 'orchestrationTrigger56e21d4b3e',
        direction: 'in',
        properties: { supportsDeferredBinding: 'false' },
      },
    });
    expect(byName.sayHello?.bindings).toHaveProperty('activityTrigger7996c743ef.type', 'activityTrigger');
    const starter = byName.startFanOut?.bindings ?? {};
    expect(starter.durableClientInputd82f0ee27b).toEqual({
      type: 'durableClient',
      name: 'durableClientInputd82f0ee27b',
      direction: 'in',
      properties: { supportsDeferredBinding: 'false' },
    });
    expect(starter.$return).toMatchObject({ type: 'http', direction: 'out' });
    const greetTrigger = Object.values(byName.greet?.bindings ?? {}).find((b) => b.type === 'httpTrigger');
    expect(greetTrigger).toMatchObject({
      route: 'greet/{name?}',
      methods: ['GET', 'POST'],
      authLevel: 'anonymous',
      direction: 'in',
    });
  });

  it('describes functions with the worker view: trigger plus bindings named by key', () => {
    const greet = app.invoker.functions().find((f) => f.name === 'greet');
    expect(greet?.trigger).toMatchObject({ type: 'httpTrigger', route: 'greet/{name?}' });
    expect(greet?.bindings.map((b) => b.name)).toContain('$return');
  });

  it('ran appStart hooks and locked setup through getCapabilities', () => {
    expect(fixture.fixtureHookCalls[0]).toBe('appStart:object');
    expect(app.capabilities).not.toHaveProperty('HttpUri');
  });

  it('invokes an HTTP function with worker typed data and returns the $return http data', async () => {
    const result = await app.invoker.invoke('greet', {
      triggerData: httpData('POST', 'http://127.0.0.1:7071/api/greet/ada?x=1', 'hi there', { name: 'ada' }),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const http = result.returnValue?.http as {
      statusCode: string;
      headers: Record<string, string>;
      cookies: unknown[];
    };
    expect(http.statusCode).toBe('200');
    expect(http.headers['x-fixture']).toBe('greet');
    expect(http.cookies).toEqual([
      expect.objectContaining({ name: 'seen', value: 'yes', path: { value: '/' } }),
    ]);
    expect(JSON.parse(bodyText(result.returnValue))).toEqual({
      name: 'ada',
      method: 'POST',
      query: { x: '1' },
      body: 'hi there',
      header: 'yes',
    });
    expect(logs).toContainEqual(
      expect.objectContaining({ category: 'user', message: 'greeting ada', functionName: 'greet' }),
    );
  });

  it("passes every log through the app's log hooks, which may rewrite it", async () => {
    await app.invoker.invoke('greet', {
      triggerData: httpData('GET', 'http://127.0.0.1:7071/api/greet/secret', '', { name: 'secret' }),
    });
    const messages = logs.filter((entry) => entry.functionName === 'greet').map((entry) => entry.message);
    expect(messages).toContain('greeting [redacted]');
    expect(messages).not.toContain('greeting secret');
  });

  it('runs pre and post invocation hooks around the handler with shared hook data', async () => {
    fixture.fixtureHookCalls.length = 0;
    await app.invoker.invoke('plain', { triggerData: httpData('GET', 'http://127.0.0.1:7071/api/plain') });
    await app.invoker.invoke('broken', { triggerData: httpData('GET', 'http://127.0.0.1:7071/api/broken') });
    expect(fixture.fixtureHookCalls).toEqual([
      'pre:plain',
      'post:plain:pre:ok',
      'pre:broken',
      'post:broken:pre:error',
    ]);
  });

  it('reports a throwing handler as a failed invocation with its error', async () => {
    const result = await app.invoker.invoke('broken', {
      triggerData: httpData('GET', 'http://127.0.0.1:7071/api/broken'),
    });
    expect(result).toMatchObject({ ok: false, error: { message: 'the broken function failed' } });
  });

  it('passes an Event Grid event as json typed data and its trigger metadata', async () => {
    const event = {
      id: 'e1',
      subject: '/s',
      eventType: 'T',
      eventTime: '2024-01-01T00:00:00Z',
      data: { a: 1 },
    };
    const result = await app.invoker.invoke('onEvent', {
      triggerData: { json: JSON.stringify(event) },
      triggerMetadata: { data: { json: JSON.stringify(event.data) } },
    });
    expect(result.ok).toBe(true);
    expect(fixture.fixtureEvents.at(-1)).toEqual({ event, triggerMetadata: { data: { a: 1 } } });
  });

  it('fills durableClient inputs lazily from the durable host', async () => {
    const clientData = { taskHubName: 'Hub', creationUrls: {}, managementUrls: { id: 'INSTANCEID' } };
    let calls = 0;
    app.useDurableHost({
      clientBindingData: () => {
        calls += 1;
        return JSON.stringify(clientData);
      },
    });
    const result = await app.invoker.invoke('clientData', {
      triggerData: httpData('GET', 'http://127.0.0.1:7071/api/client-data'),
    });
    expect(calls).toBe(1);
    expect(JSON.parse(bodyText(result.ok ? result.returnValue : undefined))).toEqual(clientData);
  });

  it('returns an activity result as the return value, as Durable reads it', async () => {
    const result = await app.invoker.invoke('sayHello', { triggerData: { string: JSON.stringify('Tokyo') } });
    expect(result).toEqual({ ok: true, returnValue: { string: 'Hello Tokyo' }, outputData: [] });
  });

  it('fails clearly for an unknown function', async () => {
    const result = await app.invoker.invoke('nope', { triggerData: { string: '' } });
    expect(result).toMatchObject({ ok: false, error: { message: 'No function named "nope" is registered' } });
  });

  it('refuses registrations after loading, like the worker after indexing', async () => {
    const { app: functionsApp } = await import('@azure/functions');
    expect(() => functionsApp.http('late', { handler: () => ({}) })).toThrow(/during app startup/);
  });

  it('hosts one app per process: the same root is reused, another root is refused', async () => {
    await expect(loadFunctionApp(appRoot)).resolves.toBe(app);
    await expect(loadFunctionApp(path.join(appRoot, '..'))).rejects.toThrow(/one function app per process/);
  });

  it('runs appTerminate hooks on terminate', async () => {
    await app.terminate();
    expect(fixture.fixtureHookCalls.at(-1)).toBe('appTerminate');
  });
});
