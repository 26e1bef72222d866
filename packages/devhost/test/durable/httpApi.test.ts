import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DurableEngine } from '../../src/durable';
import { startHostServer, type HostServer } from '../../src/http';
import { freePort } from '../../src/services/ports';
import { loadFixtureApp, startEngine, uniqueHub } from './support';

let engine: DurableEngine;
let server: HostServer;
let base: string;
let durable: string;
const taskHub = uniqueHub();
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  durable = `${base}/runtime/webhooks/durabletask`;
  const app = await loadFixtureApp(`127.0.0.1:${port}`);
  engine = await startEngine(app, { taskHub, publicBaseUrl: base });
  server = await startHostServer({ invoker: app.invoker, durableHost: engine, port });
});

afterAll(async () => {
  await server.close();
  await engine.stop();
});

function postJson(url: string, body?: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? '' : JSON.stringify(body),
  });
}

async function startApproval(): Promise<string> {
  const response = await postJson(`${durable}/orchestrators/approval`);
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function statusOf(id: string, query = ''): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${durable}/instances/${id}${query}`);
  return {
    status: response.status,
    body: response.status === 404 ? {} : ((await response.json()) as Record<string, unknown>),
  };
}

describe('client binding data', () => {
  it('points every URL at this host with the INSTANCEID placeholder and no rpcBaseUrl, rewind left out', () => {
    const data = JSON.parse(engine.clientBindingData()) as Record<string, Record<string, string>>;
    expect(data.taskHubName).toBe(taskHub);
    expect(data.rpcBaseUrl).toBeUndefined();
    expect(data.baseUrl).toBe(durable);
    expect(data.requiredQueryStringParameters).toBe('');
    expect(data.creationUrls?.createNewInstancePostUri).toBe(
      `${durable}/orchestrators/{functionName}[/{instanceId}]`,
    );
    expect(data.managementUrls).toEqual({
      id: 'INSTANCEID',
      statusQueryGetUri: `${durable}/instances/INSTANCEID?taskHub=${taskHub}&connection=Storage`,
      sendEventPostUri: `${durable}/instances/INSTANCEID/raiseEvent/{eventName}?taskHub=${taskHub}&connection=Storage`,
      terminatePostUri: `${durable}/instances/INSTANCEID/terminate?reason={text}&taskHub=${taskHub}&connection=Storage`,
      purgeHistoryDeleteUri: `${durable}/instances/INSTANCEID?taskHub=${taskHub}&connection=Storage`,
      restartPostUri: `${durable}/instances/INSTANCEID/restart?taskHub=${taskHub}&connection=Storage`,
      suspendPostUri: `${durable}/instances/INSTANCEID/suspend?reason={text}&taskHub=${taskHub}&connection=Storage`,
      resumePostUri: `${durable}/instances/INSTANCEID/resume?reason={text}&taskHub=${taskHub}&connection=Storage`,
    });
  });
});

describe('Durable HTTP API', () => {
  it('starts an orchestration: 202 with the check-status payload, Location and Retry-After', async () => {
    const response = await postJson(`${durable}/orchestrators/countToThree/http-start-1`, 3);
    expect(response.status).toBe(202);
    expect(response.headers.get('retry-after')).toBe('10');
    const body = (await response.json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual([
      'id',
      'statusQueryGetUri',
      'sendEventPostUri',
      'terminatePostUri',
      'purgeHistoryDeleteUri',
      'restartPostUri',
      'suspendPostUri',
      'resumePostUri',
    ]);
    expect(body.id).toBe('http-start-1');
    expect(body.statusQueryGetUri).toBe(
      `${durable}/instances/http-start-1?taskHub=${taskHub}&connection=Storage`,
    );
    expect(response.headers.get('location')).toBe(body.statusQueryGetUri);
    await engine.waitForCompletion('http-start-1');
    const status = await statusOf('http-start-1');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      name: 'countToThree',
      runtimeStatus: 'Completed',
      input: 3,
      output: 'reached 3',
    });
  });

  it('waits for completion when asked (timeout query) and answers 200 with the output', async () => {
    const response = await postJson(`${durable}/orchestrators/countToThree?timeout=10&pollingInterval=1`, 2);
    expect(response.status).toBe(200);
    expect(await response.json()).toBe('reached 3');
    const failed = await postJson(`${durable}/orchestrators/failing?timeout=10`);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ name: 'failing', runtimeStatus: 'Failed' });
  });

  it('refuses invalid JSON and unknown orchestrators with 400, and a start of a running id with 500', async () => {
    const invalid = await fetch(`${durable}/orchestrators/approval`, { method: 'POST', body: '{nope' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({ Message: 'Invalid JSON content' });
    expect((await postJson(`${durable}/orchestrators/doesNotExist`)).status).toBe(400);
    const id = await startApproval();
    const again = await postJson(`${durable}/orchestrators/approval/${id}`);
    expect(again.status).toBe(500);
    expect(await again.json()).toEqual({
      Message: expect.stringMatching(
        /^An Orchestration instance with the status (Pending|Running) already exists\.$/,
      ),
    });
    await fetch(`${durable}/instances/${id}/terminate?reason=done`, { method: 'POST' });
  });

  it('reports a running instance with 202 and a completed one with 200, in the StatusResponsePayload shape', async () => {
    const id = await startApproval();
    await expect.poll(async () => (await statusOf(id)).body.customStatus).toBe('waiting for approval');
    const running = await fetch(`${durable}/instances/${id}`);
    expect(running.status).toBe(202);
    expect(running.headers.get('location')).toBe(`${durable}/instances/${id}`);
    expect(running.headers.get('retry-after')).toBe('5');
    const body = (await running.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      'name',
      'instanceId',
      'runtimeStatus',
      'input',
      'customStatus',
      'output',
      'createdTime',
      'lastUpdatedTime',
    ]);
    expect(body).toMatchObject({
      name: 'approval',
      instanceId: id,
      runtimeStatus: 'Running',
      input: null,
      output: null,
    });
    expect(body.createdTime).toMatch(TIME);
    expect(body.lastUpdatedTime).toMatch(TIME);

    const plainText = await fetch(`${durable}/instances/${id}/raiseEvent/approve`, {
      method: 'POST',
      body: '{}',
    });
    expect(plainText.status).toBe(400);
    expect((await postJson(`${durable}/instances/${id}/raiseEvent/approve`, { by: 'bob' })).status).toBe(202);
    await engine.waitForCompletion(id);

    const done = await statusOf(id, '?showHistory=true&showHistoryOutput=true');
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ runtimeStatus: 'Completed', output: { approvedBy: 'bob' } });
    const events = done.body.historyEvents as Array<Record<string, unknown>>;
    expect(events.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'EventRaised', 'ExecutionCompleted']);
    expect(events[0]).toMatchObject({ FunctionName: 'approval' });
    expect(events[1]).toMatchObject({ Name: 'approve', Input: '{"by":"bob"}' });
    expect(events[2]).toMatchObject({ OrchestrationStatus: 'Completed', Result: { approvedBy: 'bob' } });
    expect((await statusOf(id, '?showInput=false')).body.historyEvents).toBeUndefined();
  });

  it('reports a failed instance with 200 (500 only when asked) and its failure output', async () => {
    const response = await postJson(`${durable}/orchestrators/failing`);
    const { id } = (await response.json()) as { id: string };
    await engine.waitForCompletion(id);
    const failed = await statusOf(id);
    expect(failed.status).toBe(200);
    expect(failed.body.runtimeStatus).toBe('Failed');
    expect(failed.body.output).toMatch(
      /^Orchestrator function 'failing' failed: Activity function 'boom' failed: boom!/,
    );
    expect((await statusOf(id, '?returnInternalServerErrorOnFailure=true')).status).toBe(500);
  });

  it('answers 404 for unknown instances and 410 for control of finished ones', async () => {
    expect((await statusOf('nobody')).status).toBe(404);
    expect((await fetch(`${durable}/instances/nobody/terminate?reason=x`, { method: 'POST' })).status).toBe(
      404,
    );
    expect((await postJson(`${durable}/instances/nobody/raiseEvent/approve`, {})).status).toBe(404);
    expect(
      (await fetch(`${durable}/instances/http-start-1/terminate?reason=x`, { method: 'POST' })).status,
    ).toBe(410);
    expect((await postJson(`${durable}/instances/http-start-1/raiseEvent/approve`, {})).status).toBe(410);
    expect((await fetch(`${durable}/instances/http-start-1/suspend`, { method: 'POST' })).status).toBe(410);
    expect((await fetch(`${durable}/nothing/here`)).status).toBe(404);
    expect((await fetch(`${durable}/entities/counter/k`)).status).toBe(501);
  });

  it('restarts an instance with its input, under a new id unless asked to keep it', async () => {
    const restarted = await fetch(`${durable}/instances/http-start-1/restart`, { method: 'POST' });
    expect(restarted.status).toBe(202);
    const { id } = (await restarted.json()) as { id: string };
    expect(id).not.toBe('http-start-1');
    expect(await engine.waitForCompletion(id)).toMatchObject({ name: 'countToThree', input: '3' });
    const same = await fetch(`${durable}/instances/${id}/restart?restartWithNewInstanceId=false`, {
      method: 'POST',
    });
    expect(((await same.json()) as { id: string }).id).toBe(id);
    expect((await fetch(`${durable}/instances/nobody/restart`, { method: 'POST' })).status).toBe(404);
  });

  it('terminates with the reason as output', async () => {
    const id = await startApproval();
    const response = await fetch(
      `${durable}/instances/${id}/terminate?reason=${encodeURIComponent('user asked')}`,
      {
        method: 'POST',
      },
    );
    expect(response.status).toBe(202);
    await engine.waitForCompletion(id);
    expect((await statusOf(id)).body).toMatchObject({ runtimeStatus: 'Terminated', output: 'user asked' });
  });

  it('suspends (events wait) and resumes (events delivered)', async () => {
    const id = await startApproval();
    await expect.poll(async () => (await statusOf(id)).body.runtimeStatus).toBe('Running');
    expect((await fetch(`${durable}/instances/${id}/suspend?reason=pause`, { method: 'POST' })).status).toBe(
      202,
    );
    await expect.poll(async () => (await statusOf(id)).body.runtimeStatus).toBe('Suspended');
    expect((await statusOf(id)).status).toBe(202);
    expect((await postJson(`${durable}/instances/${id}/raiseEvent/approve`, { by: 'carol' })).status).toBe(
      202,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await statusOf(id)).body.runtimeStatus).toBe('Suspended');
    expect((await fetch(`${durable}/instances/${id}/resume?reason=go`, { method: 'POST' })).status).toBe(202);
    const done = await engine.waitForCompletion(id);
    expect(JSON.parse(done.output ?? '')).toEqual({ approvedBy: 'carol' });
  });

  it('lists instances with filters and pages with x-ms-continuation-token', async () => {
    const prefix = `list-${Date.now()}-`;
    for (const n of [1, 2, 3]) await postJson(`${durable}/orchestrators/countToThree/${prefix}${n}`, 3);
    for (const n of [1, 2, 3]) await engine.waitForCompletion(`${prefix}${n}`);
    const all = await fetch(
      `${durable}/instances/?instanceIdPrefix=${prefix}&runtimeStatus=Completed,Failed`,
    );
    expect(all.status).toBe(200);
    const listed = (await all.json()) as Array<Record<string, unknown>>;
    expect(listed.map((s) => s.instanceId)).toEqual([`${prefix}1`, `${prefix}2`, `${prefix}3`]);
    expect(listed[0]).toMatchObject({
      name: 'countToThree',
      runtimeStatus: 'Completed',
      output: 'reached 3',
    });

    const ids: unknown[] = [];
    let token: string | null = null;
    do {
      const page: Response = await fetch(`${durable}/instances/?instanceIdPrefix=${prefix}&top=2`, {
        headers: token ? { 'x-ms-continuation-token': token } : {},
      });
      ids.push(...((await page.json()) as Array<{ instanceId: string }>).map((s) => s.instanceId));
      token = page.headers.get('x-ms-continuation-token');
    } while (token);
    expect(ids).toEqual([`${prefix}1`, `${prefix}2`, `${prefix}3`]);

    const none = await fetch(`${durable}/instances/?instanceIdPrefix=${prefix}&runtimeStatus=Running`);
    expect(await none.json()).toEqual([]);
    expect((await fetch(`${durable}/instances/?runtimeStatus=Sleeping`)).status).toBe(400);
  });

  it('serves every management URL it advertises to the app (none answers 501)', async () => {
    const data = JSON.parse(engine.clientBindingData()) as { managementUrls: Record<string, string> };
    const id = await startApproval();
    const answered: Record<string, number> = {};
    // Purge last: it deletes the instance the other URLs act on.
    const keys = Object.keys(data.managementUrls)
      .filter((key) => key !== 'id')
      .sort((a, b) => Number(a === 'purgeHistoryDeleteUri') - Number(b === 'purgeHistoryDeleteUri'));
    for (const key of keys) {
      const url = (data.managementUrls[key] ?? '')
        .replace('INSTANCEID', id)
        .replace('{eventName}', 'approve')
        .replace('{text}', 'check');
      const method = key.endsWith('GetUri') ? 'GET' : key.endsWith('DeleteUri') ? 'DELETE' : 'POST';
      answered[key] = (
        await fetch(url, {
          method,
          headers: { 'Content-Type': 'application/json' },
          body: method === 'POST' ? '"yes"' : undefined,
        })
      ).status;
    }
    expect(Object.keys(answered)).toEqual(expect.arrayContaining(['statusQueryGetUri', 'terminatePostUri']));
    for (const [key, status] of Object.entries(answered)) expect(status, key).not.toBe(501);
  });

  it('purges one instance (200 then 404) and purges by creation time', async () => {
    const id = `purge-${Date.now()}`;
    await postJson(`${durable}/orchestrators/countToThree/${id}`, 3);
    await engine.waitForCompletion(id);
    const purged = await fetch(`${durable}/instances/${id}`, { method: 'DELETE' });
    expect(purged.status).toBe(200);
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
    expect((await fetch(`${durable}/instances/${id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await statusOf(id)).status).toBe(404);

    const running = await startApproval();
    expect((await fetch(`${durable}/instances/${running}`, { method: 'DELETE' })).status).toBe(404);
    expect((await statusOf(running)).status).toBe(202);
    await fetch(`${durable}/instances/${running}/terminate`, { method: 'POST' });

    expect((await fetch(`${durable}/instances/`, { method: 'DELETE' })).status).toBe(400);
    const from = new Date(Date.now() - 1000).toISOString();
    const second = `purge-by-${Date.now()}`;
    await postJson(`${durable}/orchestrators/countToThree/${second}`, 3);
    await engine.waitForCompletion(second);
    const bulk = await fetch(`${durable}/instances/?createdTimeFrom=${from}&runtimeStatus=Completed`, {
      method: 'DELETE',
    });
    expect(bulk.status).toBe(200);
    expect(((await bulk.json()) as { instancesDeleted: number }).instancesDeleted).toBeGreaterThanOrEqual(1);
    expect((await statusOf(second)).status).toBe(404);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(
      (await fetch(`${durable}/instances/?createdTimeFrom=${future}`, { method: 'DELETE' })).status,
    ).toBe(404);
  });
});

describe('df.getClient in an app function, through this host', () => {
  async function client(op: Record<string, unknown>): Promise<Response> {
    return postJson(`${base}/api/client`, op);
  }

  it('startNew + createCheckStatusResponse, getStatus, raiseEvent, terminate, getStatusBy and purge work unmodified', async () => {
    const started = await client({ action: 'start', name: 'approval', instanceId: 'client-1' });
    expect(started.status).toBe(202);
    const payload = (await started.json()) as Record<string, string>;
    expect(payload.id).toBe('client-1');
    expect(payload.statusQueryGetUri).toBe(
      `${durable}/instances/client-1?taskHub=${taskHub}&connection=Storage`,
    );
    expect(started.headers.get('location')).toBe(payload.statusQueryGetUri);

    await expect
      .poll(
        async () =>
          (
            (await (await client({ action: 'status', instanceId: 'client-1' })).json()) as {
              runtimeStatus: string;
            }
          ).runtimeStatus,
      )
      .toBe('Running');
    expect(
      (await client({ action: 'raise', instanceId: 'client-1', eventName: 'approve', data: { by: 'dave' } }))
        .status,
    ).toBe(202);
    await engine.waitForCompletion('client-1');
    const status = (await (await client({ action: 'status', instanceId: 'client-1' })).json()) as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({
      name: 'approval',
      instanceId: 'client-1',
      runtimeStatus: 'Completed',
      output: { approvedBy: 'dave' },
    });
    // The extension's key is `historyEvents` and the v3 client copies `history`: in Azure too, it stays undefined.
    expect(status.history).toBeUndefined();

    await client({ action: 'start', name: 'approval', instanceId: 'client-2' });
    expect((await client({ action: 'terminate', instanceId: 'client-2', reason: 'stop' })).status).toBe(202);
    await engine.waitForCompletion('client-2');
    const terminated = (await (
      await client({ action: 'list', runtimeStatus: ['Terminated'] })
    ).json()) as Array<{
      instanceId: string;
    }>;
    expect(terminated.map((s) => s.instanceId)).toContain('client-2');

    const purge = await client({ action: 'purge', instanceId: 'client-1' });
    expect(await purge.json()).toEqual({ instancesDeleted: 1 });
    expect((await statusOf('client-1')).status).toBe(404);
  });
});

describe('starting an instance id that is still running', () => {
  it('is refused as the extension refuses it (NonRunningStates): 500 naming the status; one start wins a race', async () => {
    const id = `dupe-${taskHub}`;
    const start = () => postJson(`${durable}/orchestrators/approval/${id}`);
    const answers = await Promise.all([start(), start(), start()]);
    expect(answers.map((response) => response.status).sort()).toEqual([202, 500, 500]);
    const refused = answers.find((response) => response.status === 500);
    expect(await refused?.json()).toEqual({
      Message: expect.stringMatching(
        /^An Orchestration instance with the status (Pending|Running) already exists\.$/,
      ),
    });
    expect((await statusOf(id)).body.runtimeStatus).toMatch(/^(Pending|Running)$/);

    // Once it has ended, the same id may start again (a redelivered event restarting a Failed instance).
    expect((await postJson(`${durable}/instances/${id}/terminate?reason=test`)).status).toBe(202);
    for (let tries = 0; tries < 100 && (await statusOf(id)).body.runtimeStatus !== 'Terminated'; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await start()).status).toBe(202);
  });
});
