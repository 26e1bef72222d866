import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LoadedFunctionApp } from '../../src/functions';
import { DurableRequestError, type DurableEngine } from '../../src/durable';
import { EventType, type HistoryEvent } from '../../src/durable/history';
import { DurableStore } from '../../src/durable/store';
import { fixture, loadFixtureApp, logs, startEngine, uniqueHub } from './support';

let app: LoadedFunctionApp;
let engine: DurableEngine;
let store: DurableStore;

beforeAll(async () => {
  app = await loadFixtureApp();
  const taskHub = uniqueHub();
  store = new DurableStore(inject('azuriteConnectionString'), taskHub);
  engine = await startEngine(app, { taskHub, maxConcurrentActivities: 2 });
});

afterAll(async () => {
  await engine.stop();
});

/** The committed DTFx events (numeric types, task ids) of the instance's current execution. */
async function committedHistory(instanceId: string): Promise<HistoryEvent[]> {
  const record = await engine.getInstance(instanceId);
  if (!record) throw new Error(`no instance ${instanceId}`);
  return (await store.readExecution(instanceId, record.executionId)).history;
}

/** `type(id)` for every event but the episode markers: the id is the task id scheduled, completed or fired. */
function eventSequence(history: HistoryEvent[]): string[] {
  return history
    .filter(
      (e) => e.EventType !== EventType.OrchestratorStarted && e.EventType !== EventType.OrchestratorCompleted,
    )
    .map((e) => {
      const id = e.EventId >= 0 ? e.EventId : (e.TaskScheduledId ?? e.TimerId);
      return id === undefined ? EventType[e.EventType] : `${EventType[e.EventType]}(${id})`;
    });
}

describe('orchestration replay', () => {
  it('fans out, retries with backoff timers, waits on a timer and completes with the right output', async () => {
    const id = await engine.startNew('fanOutRetryTimer', {
      input: { items: ['a', 'b', 'c'], failFirst: 2, retryIntervalMs: 50, timerMs: 30 },
    });
    const done = await engine.waitForCompletion(id);

    expect(done.runtimeStatus).toBe('Completed');
    expect(JSON.parse(done.output ?? '')).toEqual({
      greetings: ['Hello a', 'Hello b', 'Hello c'],
      flaky: { attempt: 3 },
    });
    expect(JSON.parse(done.customStatus ?? '')).toEqual({ stage: 'done' });
    expect(fixture().attempts[id]).toBe(3);
    const greeted = fixture().calls.filter((c) => c.fn === 'greet' && c.instanceId === id);
    expect(greeted.map((c) => c.input).sort()).toEqual(['a', 'b', 'c']);

    const history = await committedHistory(id);
    const sequence = eventSequence(history);
    // Fan-out: ids 0-2 in yield order; completions may arrive in any order and batch.
    expect(sequence.slice(0, 4)).toEqual([
      'ExecutionStarted',
      'TaskScheduled(0)',
      'TaskScheduled(1)',
      'TaskScheduled(2)',
    ]);
    expect(sequence.slice(4, 7).sort()).toEqual(['TaskCompleted(0)', 'TaskCompleted(1)', 'TaskCompleted(2)']);
    // Retry as DTFx's RetryInterceptor records it, with the ids the library allocates while replaying it.
    expect(sequence.slice(7)).toEqual([
      'TaskScheduled(3)',
      'TaskFailed(3)',
      'TimerCreated(4)',
      'TimerFired(4)',
      'TaskScheduled(5)',
      'TaskFailed(5)',
      'TimerCreated(6)',
      'TimerFired(6)',
      'TaskScheduled(7)',
      'TaskCompleted(7)',
      'TimerCreated(8)',
      'TimerFired(8)',
      'ExecutionCompleted',
    ]);
    // Every episode starts with OrchestratorStarted and ends with OrchestratorCompleted.
    expect(history[0]?.EventType).toBe(EventType.OrchestratorStarted);
    expect(history.at(-1)?.EventType).toBe(EventType.OrchestratorCompleted);
    const failed = history.find((e) => e.EventType === EventType.TaskFailed);
    expect(failed?.Reason).toBe("Activity function 'flaky' failed: flaky failure 1");
    expect(JSON.parse(failed?.Details ?? '{}')).toMatchObject({ message: 'flaky failure 1' });
    // Backoff coefficient 1: each retry timer fires firstRetryInterval after the failure's episode.
    for (const timer of history.filter((e) => e.EventType === EventType.TimerCreated && e.EventId !== 8)) {
      expect(Date.parse(timer.FireAt ?? '') - Date.parse(timer.Timestamp)).toBe(50);
    }
    // Activity inputs are the JSON text of the action input (string inputs stay strings).
    const scheduled = history.filter((e) => e.EventType === EventType.TaskScheduled);
    expect(scheduled[0]).toMatchObject({ Name: 'greet', Input: '"a"' });
    expect(JSON.parse(scheduled[3]?.Input ?? '')).toEqual({ key: id, failFirst: 2 });
  });

  it('keeps task ids in step with the library when retries of a fan-out interleave', async () => {
    const id = await engine.startNew('retryFanOut', { input: { width: 6, retryIntervalMs: 5 } });
    const done = await engine.waitForCompletion(id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(JSON.parse(done.output ?? '')).toEqual({
      attempts: [1, 2, 3, 1, 2, 3],
      after: 'Hello after retries',
    });
    const history = await committedHistory(id);
    // Every id is used once, by exactly one TaskScheduled or TimerCreated, with no gaps: 6 first attempts,
    // 6 failures (each a timer and a new attempt) and the final activity.
    const ids = history
      .filter((e) => e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated)
      .map((e) => e.EventId)
      .sort((a, b) => a - b);
    expect(ids).toEqual([...Array(6 + 6 * 2 + 1).keys()]);
    const last = history.filter((e) => e.EventType === EventType.TaskScheduled).at(-1);
    expect(last).toMatchObject({ Name: 'greet', EventId: 18 });
  });

  it('settles retrying tasks one by one after Task.all failed, without new ids for tasks already scheduled', async () => {
    const id = await engine.startNew('settleAll');
    const done = await engine.waitForCompletion(id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(JSON.parse(done.output ?? '')).toEqual({
      outcomes: [
        { ok: 'Hello ok1' },
        { error: "Activity function 'boom' failed: boom!" },
        { ok: 'Hello ok2' },
      ],
      after: 'Hello after',
    });
    const scheduled = (await committedHistory(id)).filter((e) => e.EventType === EventType.TaskScheduled);
    expect(scheduled.map((e) => [e.EventId, e.Name])).toEqual([
      [0, 'greet'],
      [1, 'boom'],
      [2, 'greet'],
      [4, 'boom'],
      [6, 'greet'],
    ]);
  });

  it('fails the orchestration with the extension message when an activity failure is not caught', async () => {
    const id = await engine.startNew('failing');
    const done = await engine.waitForCompletion(id);
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toMatch(
      /^Orchestrator function 'failing' failed: Activity function 'boom' failed: boom!/,
    );
    // Written as a warning with the instance and the reason, not only kept in the history.
    expect(logs).toContainEqual(
      expect.stringMatching(
        new RegExp(`^warn: ${id}: Failed: Orchestrator function 'failing' failed: Activity function 'boom'`),
      ),
    );
    const sequence = eventSequence(await committedHistory(id));
    expect(sequence).toEqual([
      'ExecutionStarted',
      'TaskScheduled(0)',
      'TaskCompleted(0)',
      'TaskScheduled(1)',
      'TaskFailed(1)',
      'ExecutionCompleted',
    ]);
  });

  it('gives up after maxNumberOfAttempts, with a retry timer after the last failure as DTFx records it', async () => {
    const id = await engine.startNew('retryExhausted');
    const done = await engine.waitForCompletion(id);
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toContain("Activity function 'boom' failed: boom!");
    expect(eventSequence(await committedHistory(id))).toEqual([
      'ExecutionStarted',
      'TaskScheduled(0)',
      'TaskFailed(0)',
      'TimerCreated(1)',
      'TimerFired(1)',
      'TaskScheduled(2)',
      'TaskFailed(2)',
      'TimerCreated(3)',
      'TimerFired(3)',
      'ExecutionCompleted',
    ]);
  });

  it('stops running attempts once the retry timeout has passed, and fails instead of waiting for ever', async () => {
    const id = await engine.startNew('retryTimedOut');
    const done = await engine.waitForCompletion(id);
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toContain("Activity function 'boom' failed: boom!");
    expect(fixture().calls.filter((c) => c.fn === 'boom' && c.input === id)).toHaveLength(1);
    const sequence = eventSequence(await committedHistory(id));
    expect(sequence.filter((e) => e.startsWith('TaskFailed'))).toEqual([
      'TaskFailed(0)',
      'TaskFailed(2)',
      'TaskFailed(4)',
      'TaskFailed(6)',
    ]);
    expect(sequence.at(-2)).toBe('TimerFired(7)');
  });

  it('continues as new with the new input until the orchestrator returns', async () => {
    const id = await engine.startNew('countToThree', { input: 0 });
    const done = await engine.waitForCompletion(id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(JSON.parse(done.output ?? '')).toBe('reached 3');
    expect(JSON.parse(done.input ?? '')).toBe(3);
    // The history is the last execution's only.
    const started = (await committedHistory(id)).filter((e) => e.EventType === EventType.ExecutionStarted);
    expect(started.map((e) => e.Input)).toEqual(['3']);
  });

  it('fails clearly when the orchestrator uses an action the engine does not support', async () => {
    const id = await engine.startNew('usesSubOrchestration');
    const done = await engine.waitForCompletion(id);
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toBe(
      "Orchestrator function 'usesSubOrchestration' failed: Sub-orchestrations are not supported by the local Durable engine.",
    );
  });
});

describe('external events and termination', () => {
  it('delivers a raised event to waitForExternalEvent and keeps the custom status', async () => {
    const id = await engine.startNew('approval');
    await expect.poll(async () => (await engine.getInstance(id))?.runtimeStatus).toBe('Running');
    expect(JSON.parse((await engine.getInstance(id))?.customStatus ?? '')).toBe('waiting for approval');
    expect(await engine.raiseEvent(id, 'approve', { by: 'alice' })).toBe('accepted');
    const done = await engine.waitForCompletion(id);
    expect(JSON.parse(done.output ?? '')).toEqual({ approvedBy: 'alice' });
    expect(await engine.raiseEvent(id, 'approve', { by: 'late' })).toBe('gone');
    expect(await engine.raiseEvent('no-such-instance', 'approve', {})).toBe('notFound');
  });

  it('lets an event win a race against a timer and cancels the timer', async () => {
    const id = await engine.startNew('eventOrTimeout');
    await expect.poll(async () => (await engine.getInstance(id))?.runtimeStatus).toBe('Running');
    await engine.raiseEvent(id, 'go', 'now');
    const done = await engine.waitForCompletion(id);
    expect(JSON.parse(done.output ?? '')).toBe('event: now');
    const sequence = eventSequence(await committedHistory(id));
    expect(sequence).toEqual(['ExecutionStarted', 'TimerCreated(0)', 'EventRaised', 'ExecutionCompleted']);
  });

  it('terminates a running instance with the reason as output, then refuses further control', async () => {
    const id = await engine.startNew('approval');
    expect(await engine.terminate(id, 'no longer needed')).toBe('accepted');
    const done = await engine.waitForCompletion(id);
    expect(done.runtimeStatus).toBe('Terminated');
    expect(done.output).toBe('no longer needed');
    expect(eventSequence(await committedHistory(id)).slice(-2)).toEqual([
      'ExecutionTerminated',
      'ExecutionCompleted',
    ]);
    expect(await engine.terminate(id, 'again')).toBe('gone');
  });
});

describe('instance ids', () => {
  it('refuses an unknown orchestrator and an invalid id', async () => {
    await expect(engine.startNew('noSuchOrchestrator')).rejects.toThrow(DurableRequestError);
    await expect(engine.startNew('approval', { instanceId: 'a/b' })).rejects.toMatchObject({
      statusCode: 400,
    });
  });

  it('refuses a second start of a running id (500, as the extension does): same execution, first input kept', async () => {
    const id = await engine.startNew('approval', { instanceId: `dup-${Date.now()}`, input: 'first' });
    await expect.poll(async () => (await engine.getInstance(id))?.runtimeStatus).toBe('Running');
    const before = await engine.getInstance(id);
    await expect(engine.startNew('approval', { instanceId: id, input: 'second' })).rejects.toMatchObject({
      name: 'DurableRequestError',
      statusCode: 500,
      message: 'An Orchestration instance with the status Running already exists.',
    });
    const after = await engine.getInstance(id);
    expect(after?.executionId).toBe(before?.executionId);
    expect(after?.input).toBe('"first"');
    expect(
      (await committedHistory(id)).filter((e) => e.EventType === EventType.ExecutionStarted),
    ).toHaveLength(1);
    await engine.terminate(id, 'cleanup');
    await engine.waitForCompletion(id);
  });

  it('restarts a finished id, replacing its history', async () => {
    const id = `again-${Date.now()}`;
    await engine.startNew('countToThree', { instanceId: id, input: 3 });
    const first = await engine.waitForCompletion(id);
    await engine.startNew('failing', { instanceId: id });
    const second = await engine.waitForCompletion(id);
    expect(second.runtimeStatus).toBe('Failed');
    expect(second.executionId).not.toBe(first.executionId);
    expect((await committedHistory(id)).find((e) => e.EventType === EventType.ExecutionStarted)?.Name).toBe(
      'failing',
    );
  });
});

describe('storage limits', () => {
  it('turns an activity output too large for a Table entity into a clear task failure', async () => {
    const done = await engine.waitForCompletion(await engine.startNew('bigResult', { input: 460_000 }));
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toMatch(
      /^Orchestrator function 'bigResult' failed: Activity function 'sized' failed: its output is 460002 characters of JSON; the local Durable engine stores at most 450000\./,
    );
  });

  it('fails an orchestration whose output or custom status exceeds the instance limits', async () => {
    const output = await engine.waitForCompletion(await engine.startNew('bigResult', { input: 250_000 }));
    expect(output.runtimeStatus).toBe('Failed');
    expect(output.output).toBe(
      "Orchestrator function 'bigResult' failed: The output is 250002 characters of JSON; the local Durable engine stores at most 200000.",
    );
    const status = await engine.waitForCompletion(await engine.startNew('bigStatus', { input: 20_000 }));
    expect(status.output).toBe(
      "Orchestrator function 'bigStatus' failed: The custom status is 20002 characters of JSON; at most 16384 are allowed.",
    );
  });

  it('refuses an input too large for the instance row', async () => {
    await expect(engine.startNew('bigResult', { input: 'i'.repeat(200_000) })).rejects.toMatchObject({
      statusCode: 400,
      message: 'The input is 200002 characters of JSON; the local Durable engine accepts at most 200000.',
    });
  });
});

describe('activity concurrency', () => {
  it('never runs more activities at once than maxConcurrentActivities', async () => {
    fixture().maxActive = 0;
    const id = await engine.startNew('wideFanOut', { input: { count: 8, delayMs: 20 } });
    const done = await engine.waitForCompletion(id);
    expect(JSON.parse(done.output ?? '')).toBe(8);
    expect(fixture().maxActive).toBe(2);
  });
});
