import { describe, expect, it } from 'vitest';
import { ActionType, flattenActions, inputJsonText, type Action } from '../../src/durable/actions';
import { fromChunkedProperties, maxChunkedChars, toChunkedProperties } from '../../src/durable/chunks';
import { emptyCursor, isInboxConsumed, markInboxConsumed, type Cursor } from '../../src/durable/cursor';
import { activityCompletionEvent, resultJsonText } from '../../src/durable/activityEvents';
import { allocatesRetryIds, applyActions, applyRetries, selectInbox } from '../../src/durable/episode';
import { EventType, newEvent, type HistoryEvent } from '../../src/durable/history';
import { stateFromError } from '../../src/durable/orchestratorState';
import { outstandingWork } from '../../src/durable/recovery';
import { computeNextDelayMs } from '../../src/durable/retry';
import { formatStatusTime, publicHistory } from '../../src/durable/status';
import type { InboxItem } from '../../src/durable/store';

const T0 = new Date('2024-05-01T10:00:00.000Z');
const activity = (name: string, input?: unknown): Action => ({
  actionType: ActionType.CallActivity,
  functionName: name,
  input,
});
const withRetry = (name: string, maxNumberOfAttempts = 3): Action => ({
  actionType: ActionType.CallActivityWithRetry,
  functionName: name,
  retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts },
});
const isActivity = (name: string) => name !== 'missing';
const inbox = (...events: HistoryEvent[]): InboxItem[] => events.map((event, seq) => ({ seq, event }));
const completed = (id: number) => newEvent(EventType.TaskCompleted, T0, { TaskScheduledId: id, Result: '1' });
const failed = (id: number) =>
  newEvent(EventType.TaskFailed, T0, { TaskScheduledId: id, Reason: 'r', Details: 'd' });
const fired = (id: number) => newEvent(EventType.TimerFired, T0, { TimerId: id });

/** A cursor after scheduling `actions` in one episode. */
function scheduled(actions: Action[]): Cursor {
  const cursor = emptyCursor();
  applyActions(cursor, actions, T0, isActivity);
  return cursor;
}

describe('flattenActions', () => {
  it('lists leaves depth-first in yield order, as the library assigns ids', () => {
    const actions: Action[] = [
      activity('a'),
      {
        actionType: ActionType.WhenAll,
        compoundActions: [
          activity('b'),
          {
            actionType: ActionType.WhenAny,
            compoundActions: [activity('c'), { actionType: ActionType.CreateTimer }],
          },
        ],
      },
      activity('d'),
    ];
    expect(flattenActions(actions).map((a) => a.functionName ?? 'timer')).toEqual([
      'a',
      'b',
      'c',
      'timer',
      'd',
    ]);
  });

  it('keeps pre-stringified string inputs and stringifies other values', () => {
    expect(inputJsonText('"Tokyo"')).toBe('"Tokyo"');
    expect(inputJsonText({ a: 1 })).toBe('{"a":1}');
    expect(inputJsonText(0)).toBe('0');
    expect(inputJsonText(undefined)).toBeUndefined();
  });
});

describe('computeNextDelayMs (DTFx RetryInterceptor)', () => {
  const options = { firstRetryIntervalInMilliseconds: 2000, maxNumberOfAttempts: 5, backoffCoefficient: 2 };
  it('grows by the backoff coefficient per failure and is capped by the max interval', () => {
    expect([1, 2, 3, 4].map((n) => computeNextDelayMs(options, n, T0, T0))).toEqual([
      2000, 4000, 8000, 16000,
    ]);
    const capped = { ...options, maxRetryIntervalInMilliseconds: 5000 };
    expect([1, 2, 3].map((n) => computeNextDelayMs(capped, n, T0, T0))).toEqual([2000, 4000, 5000]);
    expect(
      computeNextDelayMs({ firstRetryIntervalInMilliseconds: 100, maxNumberOfAttempts: 3 }, 3, T0, T0),
    ).toBe(100);
  });

  it('is zero once the retry timeout has passed since the first attempt', () => {
    const timed = { ...options, retryTimeoutInMilliseconds: 10_000 };
    expect(computeNextDelayMs(timed, 1, T0, new Date(T0.getTime() + 9_999))).toBe(2000);
    expect(computeNextDelayMs(timed, 1, T0, new Date(T0.getTime() + 10_000))).toBe(0);
  });
});

describe('applyActions', () => {
  it('gives new id-consuming actions consecutive ids and skips the ones already processed', () => {
    const cursor = emptyCursor();
    const first = applyActions(
      cursor,
      [activity('a', '"x"'), { actionType: ActionType.WaitForExternalEvent }],
      T0,
      isActivity,
    );
    expect(first.events.map((e) => [e.EventType, e.EventId, e.Name, e.Input])).toEqual([
      [EventType.TaskScheduled, 0, 'a', '"x"'],
    ]);
    const timer: Action = {
      actionType: ActionType.CreateTimer,
      fireAt: '2024-05-01T10:01:00.000Z',
      isCanceled: false,
    };
    const second = applyActions(
      cursor,
      [activity('a', '"x"'), { actionType: ActionType.WaitForExternalEvent }, timer, activity('b')],
      T0,
      isActivity,
    );
    expect(second.events.map((e) => [e.EventType, e.EventId])).toEqual([
      [EventType.TimerCreated, 1],
      [EventType.TaskScheduled, 2],
    ]);
    expect(second.work).toEqual([
      { kind: 'timer', taskId: 1, fireAt: '2024-05-01T10:01:00.000Z' },
      { kind: 'activity', taskId: 2, functionName: 'b', inputText: undefined },
    ]);
    expect(cursor).toMatchObject({ nextTaskId: 3, processedActions: 4, actionTaskIds: [0, null, 1, 2] });

    const canceled = applyActions(
      cursor,
      [
        activity('a', '"x"'),
        { actionType: ActionType.WaitForExternalEvent },
        { ...timer, isCanceled: true },
        activity('b'),
      ],
      T0,
      isActivity,
    );
    expect(canceled.work).toEqual([{ kind: 'cancelTimer', taskId: 1 }]);
    expect(cursor.canceledTimers).toEqual([1]);
  });

  it('fails on unknown activities and unsupported actions, and reports continueAsNew', () => {
    expect(applyActions(emptyCursor(), [activity('missing')], T0, isActivity).failure).toBe(
      "The function 'missing' doesn't exist, is disabled, or is not an activity function.",
    );
    expect(applyActions(emptyCursor(), [{ actionType: ActionType.CallEntity }], T0, isActivity).failure).toBe(
      'Durable entities are not supported by the local Durable engine.',
    );
    expect(
      applyActions(emptyCursor(), [{ actionType: ActionType.ContinueAsNew, input: { n: 2 } }], T0, isActivity)
        .continueAsNew,
    ).toEqual({
      inputText: '{"n":2}',
    });
  });
});

describe('applyRetries', () => {
  it('answers a failed attempt with a retry timer and the fired timer with the next attempt, until attempts run out', () => {
    const cursor = scheduled([withRetry('f', 2)]);
    const afterFailure = applyRetries(cursor, [failed(0)], T0);
    expect(afterFailure.events).toEqual([
      newEvent(EventType.TimerCreated, T0, { FireAt: '2024-05-01T10:00:01.000Z' }, 1),
    ]);
    const afterTimer = applyRetries(cursor, [fired(1)], T0);
    expect(afterTimer.events.map((e) => [e.EventType, e.EventId, e.Name])).toEqual([
      [EventType.TaskScheduled, 2, 'f'],
    ]);
    expect(afterTimer.work).toEqual([
      { kind: 'activity', taskId: 2, functionName: 'f', inputText: undefined },
    ]);
    // The last failure still gets its timer (the library waits for it), then the tracker is done.
    expect(applyRetries(cursor, [failed(2)], T0).events.map((e) => e.EventId)).toEqual([3]);
    expect(applyRetries(cursor, [fired(3)], T0).events).toEqual([]);
    expect(cursor.retries).toEqual([]);
    expect(cursor.nextTaskId).toBe(4);
  });

  it('records the remaining attempts as failed without running them once the retry timeout has passed', () => {
    const cursor = emptyCursor();
    const action = {
      ...withRetry('f', 3),
      retryOptions: {
        firstRetryIntervalInMilliseconds: 1000,
        maxNumberOfAttempts: 3,
        retryTimeoutInMilliseconds: 500,
      },
    };
    applyActions(cursor, [action], T0, isActivity);
    const late = new Date(T0.getTime() + 600);
    const timer = applyRetries(cursor, [failed(0)], late);
    expect(timer.events[0]?.FireAt).toBe(late.toISOString());
    expect(applyRetries(cursor, [fired(1)], late).work).toEqual([
      { kind: 'failTask', taskId: 2, reason: 'r', details: 'd' },
    ]);
  });

  it('ends the tracker when an attempt succeeds', () => {
    const cursor = scheduled([withRetry('f')]);
    expect(applyRetries(cursor, [completed(0)], T0).events).toEqual([]);
    expect(cursor.retries).toEqual([]);
  });
});

describe('selectInbox', () => {
  it('batches completions but lets an event that allocates retry ids only open an episode', () => {
    const cursor = scheduled([activity('a'), withRetry('f'), activity('b')]);
    expect(allocatesRetryIds(cursor, failed(1))).toBe(true);
    expect(allocatesRetryIds(cursor, failed(0))).toBe(false);
    const pending = inbox(completed(0), completed(2), failed(1), completed(3));
    expect(selectInbox(pending, cursor)?.items.map((i) => i.seq)).toEqual([0, 1]);
    expect(selectInbox(pending.slice(2), cursor)?.items.map((i) => i.seq)).toEqual([2, 3]);
  });

  it('lets terminate take everything, holds events while suspended and takes resume', () => {
    const cursor = emptyCursor();
    const terminate = newEvent(EventType.ExecutionTerminated, T0, { Input: 'why' });
    expect(selectInbox(inbox(completed(0), terminate), cursor)).toMatchObject({
      kind: 'terminate',
      reason: 'why',
    });
    expect(selectInbox(inbox(completed(0), terminate), cursor)?.items).toHaveLength(2);
    const suspend = newEvent(EventType.ExecutionSuspended, T0);
    expect(selectInbox(inbox(completed(0), suspend), cursor)?.items.map((i) => i.seq)).toEqual([0]);
    expect(selectInbox(inbox(suspend, completed(0)), cursor)?.kind).toBe('suspend');
    const suspended = { ...cursor, suspended: true };
    expect(selectInbox(inbox(completed(0)), suspended)).toBeUndefined();
    const resume = newEvent(EventType.ExecutionResumed, T0);
    expect(selectInbox(inbox(completed(0), resume), suspended)).toMatchObject({
      kind: 'resume',
      items: [{ seq: 1 }],
    });
  });
});

describe('inbox watermark', () => {
  it('advances over contiguous consumed messages and remembers the ones above', () => {
    const cursor = emptyCursor();
    markInboxConsumed(cursor, [0, 2]);
    expect([cursor.inboxConsumedThrough, cursor.inboxConsumedAbove]).toEqual([0, [2]]);
    expect(isInboxConsumed(cursor, 1)).toBe(false);
    markInboxConsumed(cursor, [1]);
    expect([cursor.inboxConsumedThrough, cursor.inboxConsumedAbove]).toEqual([2, []]);
    expect(isInboxConsumed(cursor, 2)).toBe(true);
  });
});

describe('orchestrator results', () => {
  it('reads the state after $OutOfProcData$ of a failed orchestrator', () => {
    const state = { isDone: false, actions: [[activity('a', 1)]], error: 'boom', schemaVersion: 1 };
    const parsed = stateFromError(new Error(`boom\n\n$OutOfProcData$:${JSON.stringify(state)}`));
    expect(parsed).toEqual({ message: 'boom', state });
    expect(stateFromError(new Error('not durable'))).toEqual({ message: 'not durable', state: undefined });
  });

  it('turns activity return values into TaskCompleted.Result JSON text', () => {
    expect(resultJsonText({ string: 'Hello' })).toBe('"Hello"');
    expect(resultJsonText({ json: '{"a":1}' })).toBe('{"a":1}');
    expect(resultJsonText({ int: 3 })).toBe('3');
    expect(resultJsonText(undefined)).toBe('null');
  });
});

describe('activityCompletionEvent', () => {
  it('records a result as TaskCompleted and an error as TaskFailed with the extension reason', () => {
    const ok = activityCompletionEvent(
      'a',
      4,
      { ok: true, returnValue: { json: '[1]' }, outputData: [] },
      T0,
    );
    expect(ok).toEqual(newEvent(EventType.TaskCompleted, T0, { TaskScheduledId: 4, Result: '[1]' }));
    const error = new Error('nope');
    const failure = activityCompletionEvent('a', 4, { ok: false, error }, T0);
    expect(failure).toMatchObject({
      EventType: EventType.TaskFailed,
      TaskScheduledId: 4,
      Reason: "Activity function 'a' failed: nope",
    });
    expect(JSON.parse(failure.Details ?? '')).toEqual({ message: 'nope', stack: error.stack });
  });
});

describe('outstandingWork (restart)', () => {
  it('re-runs scheduled activities and re-arms timers that have no completion in the history or the inbox', () => {
    const cursor = scheduled([
      activity('a', '1'),
      activity('b'),
      { actionType: ActionType.CreateTimer, fireAt: '2024-05-01T10:05:00.000Z' },
      withRetry('r'),
    ]);
    const history: HistoryEvent[] = [
      newEvent(EventType.TaskScheduled, T0, { Name: 'a', Input: '1' }, 0),
      newEvent(EventType.TaskScheduled, T0, { Name: 'b' }, 1),
      newEvent(EventType.TimerCreated, T0, { FireAt: '2024-05-01T10:05:00.000Z' }, 2),
      newEvent(EventType.TaskScheduled, T0, { Name: 'r' }, 3),
      completed(1),
    ];
    expect(outstandingWork(history, [failed(3)], cursor)).toEqual([
      { kind: 'activity', taskId: 0, functionName: 'a', inputText: '1' },
      { kind: 'timer', taskId: 2, fireAt: '2024-05-01T10:05:00.000Z' },
    ]);
    cursor.canceledTimers.push(2);
    expect(outstandingWork(history, [failed(3), completed(0)], cursor)).toEqual([]);
  });
});

describe('status history', () => {
  it('drops episode markers and TaskScheduled, merging name, input and time into the completion', () => {
    const history: HistoryEvent[] = [
      newEvent(EventType.OrchestratorStarted, T0),
      newEvent(EventType.ExecutionStarted, T0, { Name: 'o', Input: '1' }),
      newEvent(EventType.TaskScheduled, T0, { Name: 'a', Input: '"x"' }, 0),
      newEvent(EventType.OrchestratorCompleted, T0),
      newEvent(EventType.TaskCompleted, new Date(T0.getTime() + 5), { TaskScheduledId: 0, Result: '"y"' }),
      newEvent(EventType.ExecutionCompleted, T0, { OrchestrationStatus: 'Completed', Result: '"y"' }),
    ];
    expect(publicHistory(history, { showInput: true, showHistory: true, showHistoryOutput: true })).toEqual([
      { EventType: 'ExecutionStarted', FunctionName: 'o', Input: '1', Timestamp: T0.toISOString() },
      {
        EventType: 'TaskCompleted',
        Result: 'y',
        FunctionName: 'a',
        ScheduledTime: T0.toISOString(),
        Input: '"x"',
        Timestamp: '2024-05-01T10:00:00.005Z',
      },
      {
        EventType: 'ExecutionCompleted',
        OrchestrationStatus: 'Completed',
        Result: 'y',
        Timestamp: T0.toISOString(),
      },
    ]);
    expect(
      publicHistory(history, { showInput: false, showHistory: true, showHistoryOutput: false })[1],
    ).not.toHaveProperty('Result');
  });

  it('formats times as ToString("s") + "Z"', () => {
    expect(formatStatusTime(new Date('2024-05-01T10:00:03.987Z'))).toBe('2024-05-01T10:00:03Z');
  });
});

describe('chunked properties', () => {
  it('round-trips long values and refuses values over the entity limit', () => {
    const value = 'é'.repeat(70_000);
    const properties = toChunkedProperties('Output', value);
    expect(properties.Output_Chunks).toBe(3);
    expect(fromChunkedProperties(properties, 'Output')).toBe(value);
    expect(toChunkedProperties('Output', undefined)).toEqual({});
    expect(() => toChunkedProperties('Output', 'x'.repeat(maxChunkedChars() + 1))).toThrow(/stores at most/);
  });
});
