import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { LoadedFunctionApp } from '../../src/functions';
import type { DurableEngine } from '../../src/durable';
import { emptyCursor } from '../../src/durable/cursor';
import { EventType, newEvent, type HistoryEvent } from '../../src/durable/history';
import { DurableStore } from '../../src/durable/store';
import { fixture, loadFixtureApp, startEngine, uniqueHub } from './support';

let app: LoadedFunctionApp;

beforeAll(async () => {
  app = await loadFixtureApp();
});

async function historyOf(store: DurableStore, engine: DurableEngine, id: string): Promise<HistoryEvent[]> {
  const record = await engine.getInstance(id);
  if (!record) throw new Error(`no instance ${id}`);
  return (await store.readExecution(id, record.executionId)).history;
}

function count(history: HistoryEvent[], type: EventType, taskId?: number): number {
  return history.filter(
    (e) =>
      e.EventType === type &&
      (taskId === undefined || e.EventId === taskId || e.TaskScheduledId === taskId || e.TimerId === taskId),
  ).length;
}

describe('stop and resume on the same tables', () => {
  it('re-runs an activity that was in flight when the engine stopped, and completes the orchestration', async () => {
    const taskHub = uniqueHub();
    const store = new DurableStore(inject('azuriteConnectionString'), taskHub);
    fixture().gate = undefined;
    const first = await startEngine(app, { taskHub, stopGraceMs: 50 });
    const id = await first.startNew('gated', { input: 'g1' });
    const gateCalls = () => fixture().calls.filter((c) => c.fn === 'waitAtGate' && c.input === 'g1').length;
    await expect.poll(gateCalls).toBe(1);

    await first.stop();
    const stopped = await first.getInstance(id);
    expect(stopped?.runtimeStatus).toBe('Running');
    const before = await historyOf(store, first, id);
    expect(count(before, EventType.TaskScheduled, 1)).toBe(1);
    expect(count(before, EventType.TaskCompleted, 1)).toBe(0);

    const second = await startEngine(app, { taskHub });
    await expect.poll(gateCalls).toBe(2); // at least once, as in Azure
    fixture().gate?.open();
    const done = await second.waitForCompletion(id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(JSON.parse(done.output ?? '')).toEqual({ before: 'Hello gate', gated: 'passed g1' });
    const after = await historyOf(store, second, id);
    expect(count(after, EventType.TaskScheduled, 1)).toBe(1);
    expect(count(after, EventType.TaskCompleted, 1)).toBe(1);
    expect(count(after, EventType.ExecutionStarted)).toBe(1);
    // The activity before the gate completed before the stop and is not run again.
    expect(fixture().calls.filter((c) => c.fn === 'greet' && c.instanceId === id)).toHaveLength(1);
    await second.stop();
  });

  it('re-arms a pending timer and keeps waiting for an external event across a restart', async () => {
    const taskHub = uniqueHub();
    const first = await startEngine(app, { taskHub });
    const timed = await first.startNew('fanOutRetryTimer', {
      input: { items: ['x'], failFirst: 0, retryIntervalMs: 10, timerMs: 600 },
    });
    const waiting = await first.startNew('approval');
    await expect
      .poll(async () => JSON.parse((await first.getInstance(timed))?.customStatus ?? 'null') as unknown)
      .toEqual({ stage: 'timer' });
    await expect.poll(async () => (await first.getInstance(waiting))?.runtimeStatus).toBe('Running');
    await first.stop();

    const second = await startEngine(app, { taskHub });
    const done = await second.waitForCompletion(timed);
    expect(JSON.parse(done.output ?? '')).toEqual({ greetings: ['Hello x'], flaky: { attempt: 1 } });
    expect(await second.raiseEvent(waiting, 'approve', { by: 'after restart' })).toBe('accepted');
    expect(JSON.parse((await second.waitForCompletion(waiting)).output ?? '')).toEqual({
      approvedBy: 'after restart',
    });
    await second.stop();
  });
});

describe('recovery of an episode committed just before a crash', () => {
  async function crashedAfterCommit(completion: HistoryEvent): Promise<{ taskHub: string; id: string }> {
    const taskHub = uniqueHub();
    const store = new DurableStore(inject('azuriteConnectionString'), taskHub);
    await store.ensureTables();
    const at = new Date();
    const id = `crashed-${completion.OrchestrationStatus}`;
    await store.writeInstance({
      instanceId: id,
      name: 'countToThree',
      executionId: 'exec1',
      runtimeStatus: 'Running',
      input: '2',
      output: undefined,
      customStatus: undefined,
      createdTime: at,
      lastUpdatedTime: at,
    });
    const events = [
      newEvent(EventType.OrchestratorStarted, at),
      newEvent(EventType.ExecutionStarted, at, { Name: 'countToThree', Input: '2' }),
      completion,
      newEvent(EventType.OrchestratorCompleted, at),
    ];
    await store.commitEpisode(id, 'exec1', 0, events, emptyCursor());
    return { taskHub, id };
  }

  it('writes the final status the instance row missed', async () => {
    const { taskHub, id } = await crashedAfterCommit(
      newEvent(EventType.ExecutionCompleted, new Date(), {
        OrchestrationStatus: 'Completed',
        Result: '"done"',
      }),
    );
    const engine = await startEngine(app, { taskHub });
    const record = await engine.getInstance(id);
    expect(record).toMatchObject({ runtimeStatus: 'Completed', output: '"done"' });
    await engine.stop();
  });

  it('starts the next execution a continueAsNew committed but did not start', async () => {
    const { taskHub, id } = await crashedAfterCommit(
      newEvent(EventType.ExecutionCompleted, new Date(), {
        OrchestrationStatus: 'ContinuedAsNew',
        Result: '3',
      }),
    );
    const engine = await startEngine(app, { taskHub });
    const done = await engine.waitForCompletion(id);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: '"reached 3"', input: '3' });
    expect(done.executionId).not.toBe('exec1');
    await engine.stop();
  });
});

describe('inbox numbering across restarts', () => {
  it('never reuses a number consumed out of order, so a message raised after a restart is not lost', async () => {
    const taskHub = uniqueHub();
    const store = new DurableStore(inject('azuriteConnectionString'), taskHub);
    await store.ensureTables();
    const at = new Date(Date.now() - 1000);
    const id = 'out-of-order';
    await store.writeInstance({
      instanceId: id,
      name: 'approval',
      executionId: 'exec1',
      runtimeStatus: 'Suspended',
      input: undefined,
      output: undefined,
      customStatus: undefined,
      createdTime: at,
      lastUpdatedTime: at,
    });
    // Episode 1 ran the orchestrator (one WaitForExternalEvent action); episode 2 consumed a suspend (message 5)
    // while message 4, an event, waits for the resume.
    const history = [
      newEvent(EventType.OrchestratorStarted, at),
      newEvent(EventType.ExecutionStarted, at, { Name: 'approval', Input: null }),
      newEvent(EventType.OrchestratorCompleted, at),
      newEvent(EventType.OrchestratorStarted, at),
      newEvent(EventType.ExecutionSuspended, at),
      newEvent(EventType.OrchestratorCompleted, at),
    ];
    const cursor = {
      ...emptyCursor(),
      processedActions: 1,
      actionTaskIds: [null],
      suspended: true,
      inboxConsumedThrough: 3,
      inboxConsumedAbove: [5],
    };
    await store.commitEpisode(id, 'exec1', 0, history, cursor);
    await store.putInbox(id, 'exec1', {
      seq: 4,
      event: newEvent(EventType.EventRaised, at, { Name: 'other' }),
    });

    const first = await startEngine(app, { taskHub });
    expect(await first.raiseEvent(id, 'approve', { by: 'erin' })).toBe('accepted');
    await first.stop();

    const second = await startEngine(app, { taskHub });
    const resumed = await second.handleHttp({
      method: 'POST',
      url: `http://127.0.0.1:7071/runtime/webhooks/durabletask/instances/${id}/resume`,
      headers: {},
      body: Buffer.alloc(0),
    });
    expect(resumed.status).toBe(202);
    const done = await second.waitForCompletion(id, { timeoutMs: 10_000 });
    expect(JSON.parse(done.output ?? '')).toEqual({ approvedBy: 'erin' });
    await second.stop();
  });
});

describe('episode commits', () => {
  it('trusts only events below the sentinel, so an episode cut short by a crash is run again', async () => {
    const store = new DurableStore(inject('azuriteConnectionString'), uniqueHub());
    await store.ensureTables();
    const at = new Date('2024-01-01T00:00:00.000Z');
    const episode = [
      newEvent(EventType.OrchestratorStarted, at),
      newEvent(EventType.ExecutionStarted, at, { Name: 'x', Input: '1' }),
      newEvent(EventType.OrchestratorCompleted, at),
    ];
    await store.commitEpisode('inst', 'exec1', 0, episode, { ...emptyCursor(), nextTaskId: 7 });
    // A later episode whose final batch (with the sentinel) never ran: its rows exist but are not committed.
    await store.history.upsertEntity({
      partitionKey: 'inst',
      rowKey: 'exec1:h:00000003',
      Index: 3,
      Event_0: JSON.stringify(newEvent(EventType.OrchestratorStarted, at)),
      Event_Chunks: 1,
    });
    await store.putInbox('inst', 'exec1', {
      seq: 4,
      event: newEvent(EventType.EventRaised, at, { Name: 'e' }),
    });

    const stored = await store.readExecution('inst', 'exec1');
    expect(stored.history.map((e) => e.EventType)).toEqual([
      EventType.OrchestratorStarted,
      EventType.ExecutionStarted,
      EventType.OrchestratorCompleted,
    ]);
    expect(stored.cursor?.nextTaskId).toBe(7);
    expect(stored.inbox.map((item) => item.seq)).toEqual([4]);
    // Another execution of the same instance is invisible to this one.
    expect((await store.readExecution('inst', 'exec2')).history).toEqual([]);
  });

  it('stores values larger than a Table property in chunks', async () => {
    const store = new DurableStore(inject('azuriteConnectionString'), uniqueHub());
    await store.ensureTables();
    const big = JSON.stringify('x'.repeat(100_000));
    const at = new Date();
    await store.writeInstance({
      instanceId: 'big',
      name: 'n',
      executionId: 'e',
      runtimeStatus: 'Completed',
      input: big,
      output: big,
      customStatus: undefined,
      createdTime: at,
      lastUpdatedTime: at,
    });
    const record = await store.readInstance('big');
    expect(record?.output).toBe(big);
    expect(record?.input).toHaveLength(big.length);
    expect(record?.customStatus).toBeUndefined();
    expect(record?.createdTime.getTime()).toBe(at.getTime());
  });
});
