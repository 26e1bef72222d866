import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DurableHost, HttpExchangeRequest } from '../../src/contracts';
import { loadFunctionApp, silentLogger } from '../../src/functions';
import { startHostServer, type HostServer } from '../../src/http';

const appRoot = path.resolve(__dirname, '../fixtures/basic-app');
let server: HostServer;
const errors: string[] = [];

beforeAll(async () => {
  const app = await loadFunctionApp(appRoot, { logger: silentLogger, applyLocalSettings: false });
  server = await startHostServer({
    invoker: app.invoker,
    port: 0,
    onError: (message) => errors.push(message),
  });
});

afterAll(async () => {
  await server.close();
});

describe('host status', () => {
  it('reports Running only once the host is ready', async () => {
    expect(await (await fetch(`${server.baseUrl}/admin/host/status`)).json()).toEqual({
      state: 'Initialized',
    });
    server.setReady(true);
    const response = await fetch(`${server.baseUrl}/admin/host/status`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ state: 'Running' });
  });
});

/** A GET with an explicit Host header (fetch may not set one). */
function getWithHost(host: string, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${server.baseUrl}${pathname}`,
      { headers: { host, origin: `http://${host}` } },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('Host header (DNS rebinding)', () => {
  it('answers the loopback names with its port, and 421 for any other Host', async () => {
    const port = server.port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect((await getWithHost(host, '/api/greet')).status, host).toBe(200);
    }
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      '127.0.0.1',
      `127.0.0.1:${port + 1}`,
      `localhost.evil.example:${port}`,
    ]) {
      const answer = await getWithHost(host, '/api/greet');
      expect(answer.status, host).toBe(421);
      expect(answer.body, host).toMatch(/answers only Host/);
    }
  });
});

describe('/api routes', () => {
  it('passes method, params, query, headers and body and returns status, headers, cookies and body', async () => {
    const response = await fetch(`${server.baseUrl}/api/greet/ada?x=1&x=2`, {
      method: 'POST',
      headers: { 'x-test': 'yes' },
      body: 'hello',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-fixture')).toBe('greet');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('set-cookie')).toBe('seen=yes; Path=/');
    expect(await response.json()).toEqual({
      name: 'ada',
      method: 'POST',
      query: { x: '1' },
      body: 'hello',
      header: 'yes',
    });
  });

  it('serves an optional parameter left out', async () => {
    const response = await fetch(`${server.baseUrl}/api/greet`);
    expect(await response.json()).toMatchObject({ name: null, method: 'GET' });
  });

  it('serves a catch-all route with the decoded rest of the path', async () => {
    const response = await fetch(`${server.baseUrl}/api/files/users/42/my%20cat.jpg`);
    expect(await response.json()).toEqual({ path: 'users/42/my cat.jpg' });
  });

  it('honours declared methods and constraints, and answers 404 otherwise', async () => {
    const deleted = await fetch(`${server.baseUrl}/api/items/42`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get('x-deleted')).toBe('42');
    const wrongMethod = await fetch(`${server.baseUrl}/api/items/42`);
    expect(wrongMethod.status).toBe(404);
    expect(await wrongMethod.json()).toEqual({ error: 'No HTTP function accepts GET /api/items/42' });
    expect((await fetch(`${server.baseUrl}/api/items/abc`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/api/greet`, { method: 'PUT' })).status).toBe(404);
  });

  it('uses the function name as the default route and the library default methods (GET, POST)', async () => {
    for (const method of ['GET', 'POST']) {
      const response = await fetch(`${server.baseUrl}/api/plain`, { method });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('plain text');
    }
    expect((await fetch(`${server.baseUrl}/api/plain`, { method: 'PATCH' })).status).toBe(404);
  });

  it('answers unknown paths with a JSON 404', async () => {
    const response = await fetch(`${server.baseUrl}/api/nothing/here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'No HTTP function matches /api/nothing/here' });
    expect((await fetch(`${server.baseUrl}/elsewhere`)).status).toBe(404);
  });

  it('answers a failing function with a JSON 500 and reports the error', async () => {
    const response = await fetch(`${server.baseUrl}/api/broken`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'Function "broken" failed' });
    expect(errors).toContain('Function "broken" failed: the broken function failed');
  });
});

describe('Durable HTTP API delegation', () => {
  it('is a 404 until a Durable host is attached, then receives the full request', async () => {
    expect((await fetch(`${server.baseUrl}/runtime/webhooks/durabletask/instances/x`)).status).toBe(404);
    const seen: HttpExchangeRequest[] = [];
    const durable: DurableHost = {
      clientBindingData: () => '{}',
      handleHttp: (request) => {
        seen.push(request);
        return Promise.resolve({ status: 202, headers: { location: 'somewhere' }, body: '{"ok":true}' });
      },
    };
    server.useDurableHost(durable);
    const response = await fetch(
      `${server.baseUrl}/runtime/webhooks/durabletask/instances/abc/raiseEvent/go?x=1`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '"payload"',
      },
    );
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe('somewhere');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: `${server.baseUrl}/runtime/webhooks/durabletask/instances/abc/raiseEvent/go?x=1`,
      headers: { 'content-type': 'application/json' },
    });
    expect(seen[0]?.body.toString()).toBe('"payload"');
  });
});
