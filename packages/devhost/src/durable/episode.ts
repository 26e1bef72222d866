import { ActionType, flattenActions, inputJsonText, unsupportedActionReason, type Action } from './actions';
import type { Cursor, RetryTracker } from './cursor';
import { EventType, newEvent, type HistoryEvent } from './history';
import { computeNextDelayMs } from './retry';
import type { InboxItem } from './store';

/** Work the engine must start once an episode is committed. */
export type WorkItem =
  | { kind: 'activity'; taskId: number; functionName: string; inputText: string | undefined }
  | { kind: 'timer'; taskId: number; fireAt: string }
  | { kind: 'cancelTimer'; taskId: number }
  /** A retry attempt after the retry timeout: recorded as failed with the last failure, not run (see docs). */
  | { kind: 'failTask'; taskId: number; reason: string; details: string };

export type InboxSelection =
  | { kind: 'terminate'; items: InboxItem[]; reason: string | undefined }
  | { kind: 'suspend' | 'resume'; items: InboxItem[]; reason: string | undefined }
  | { kind: 'events'; items: InboxItem[] };

const SYSTEM_EVENTS = new Set([
  EventType.ExecutionTerminated,
  EventType.ExecutionSuspended,
  EventType.ExecutionResumed,
]);

/**
 * Which pending messages the next episode consumes. Terminate wins over everything; a suspended instance only
 * takes resume; otherwise messages are taken in arrival order, as many as possible, except that an event which
 * makes the library allocate retry task ids (a retry attempt's failure, or its retry timer firing while attempts
 * remain) only ever opens an episode: the library allocates those ids while it processes the event, interleaved
 * with the ids of tasks user code yields after earlier events, and only at the head of the batch is that order
 * knowable to the host (all retry ids first, then the new actions in yield order).
 */
export function selectInbox(pending: readonly InboxItem[], cursor: Cursor): InboxSelection | undefined {
  const terminate = pending.find((item) => item.event.EventType === EventType.ExecutionTerminated);
  if (terminate)
    return { kind: 'terminate', items: [...pending], reason: terminate.event.Input ?? undefined };
  if (cursor.suspended) {
    const resume = pending.find((item) => item.event.EventType === EventType.ExecutionResumed);
    return resume ? { kind: 'resume', items: [resume], reason: resume.event.Input ?? undefined } : undefined;
  }
  const head = pending[0];
  if (!head) return undefined;
  if (head.event.EventType === EventType.ExecutionSuspended) {
    return { kind: 'suspend', items: [head], reason: head.event.Input ?? undefined };
  }
  if (head.event.EventType === EventType.ExecutionResumed) {
    return { kind: 'resume', items: [head], reason: head.event.Input ?? undefined };
  }
  const items: InboxItem[] = [head];
  for (const item of pending.slice(1)) {
    if (SYSTEM_EVENTS.has(item.event.EventType) || allocatesRetryIds(cursor, item.event)) break;
    items.push(item);
  }
  return { kind: 'events', items };
}

/** Whether processing the event makes the library (and so the host) allocate task ids for a retry. */
export function allocatesRetryIds(cursor: Cursor, event: HistoryEvent): boolean {
  const tracker = trackerFor(cursor.retries, event);
  if (!tracker) return false;
  if (event.EventType === EventType.TaskFailed) return true;
  return event.EventType === EventType.TimerFired && tracker.failures < tracker.options.maxNumberOfAttempts;
}

/**
 * The host's half of DTFx's RetryInterceptor, applied to the events an episode consumes (before the orchestrator
 * runs, as the library allocates retry ids while processing them): a failed attempt gets a retry timer (also after
 * the last attempt, which the library waits for), a fired retry timer gets the next attempt.
 */
export function applyRetries(
  cursor: Cursor,
  events: readonly HistoryEvent[],
  now: Date,
): { events: HistoryEvent[]; work: WorkItem[] } {
  const emitted: HistoryEvent[] = [];
  const work: WorkItem[] = [];
  for (const event of events) {
    const tracker = trackerFor(cursor.retries, event);
    if (!tracker) continue;
    if (event.EventType === EventType.TaskCompleted) {
      removeTracker(cursor, tracker);
    } else if (event.EventType === EventType.TaskFailed) {
      tracker.failures++;
      tracker.lastReason = event.Reason ?? '';
      tracker.lastDetails = event.Details ?? '';
      const delay = computeNextDelayMs(
        tracker.options,
        tracker.failures,
        new Date(tracker.firstAttemptAt),
        now,
      );
      if (delay === 0) tracker.exhausted = true;
      const timerId = cursor.nextTaskId++;
      const fireAt = new Date(now.getTime() + delay).toISOString();
      tracker.timerId = timerId;
      emitted.push(newEvent(EventType.TimerCreated, now, { FireAt: fireAt }, timerId));
      work.push({ kind: 'timer', taskId: timerId, fireAt });
    } else if (event.EventType === EventType.TimerFired) {
      tracker.timerId = null;
      if (tracker.failures >= tracker.options.maxNumberOfAttempts) {
        removeTracker(cursor, tracker); // the library now fails the task with the last error
        continue;
      }
      const taskId = cursor.nextTaskId++;
      tracker.taskId = taskId;
      emitted.push(scheduledEvent(now, taskId, tracker.functionName, tracker.inputText));
      work.push(
        tracker.exhausted
          ? { kind: 'failTask', taskId, reason: tracker.lastReason, details: tracker.lastDetails }
          : { kind: 'activity', taskId, functionName: tracker.functionName, inputText: tracker.inputText },
      );
    }
  }
  return { events: emitted, work };
}

function trackerFor(retries: readonly RetryTracker[], event: HistoryEvent): RetryTracker | undefined {
  if (event.EventType === EventType.TimerFired) return retries.find((r) => r.timerId === event.TimerId);
  if (event.EventType === EventType.TaskCompleted || event.EventType === EventType.TaskFailed) {
    return retries.find((r) => r.timerId === null && r.taskId === event.TaskScheduledId);
  }
  return undefined;
}

function removeTracker(cursor: Cursor, tracker: RetryTracker): void {
  cursor.retries = cursor.retries.filter((r) => r !== tracker);
}

function scheduledEvent(
  now: Date,
  taskId: number,
  name: string,
  inputText: string | undefined,
): HistoryEvent {
  return newEvent(
    EventType.TaskScheduled,
    now,
    { Name: name, ...(inputText !== undefined ? { Input: inputText } : {}) },
    taskId,
  );
}

export interface ActionsOutcome {
  events: HistoryEvent[];
  work: WorkItem[];
  /** Set when an action cannot run here; the orchestration fails with it. */
  failure: string | undefined;
  continueAsNew: { inputText: string | undefined } | undefined;
}

/**
 * Turns the actions new since the last episode into TaskScheduled/TimerCreated events with the task ids the
 * library gave them, and notices timers canceled since they were scheduled.
 */
export function applyActions(
  cursor: Cursor,
  actions: readonly Action[],
  now: Date,
  isActivity: (name: string) => boolean,
): ActionsOutcome {
  const leaves = flattenActions(actions);
  const events: HistoryEvent[] = [];
  const work: WorkItem[] = [];
  let continueAsNew: ActionsOutcome['continueAsNew'];

  for (let index = 0; index < Math.min(cursor.processedActions, leaves.length); index++) {
    const action = leaves[index] as Action;
    const taskId = cursor.actionTaskIds[index];
    if (
      action.actionType !== ActionType.CreateTimer ||
      !action.isCanceled ||
      taskId === null ||
      taskId === undefined
    )
      continue;
    if (cursor.canceledTimers.includes(taskId)) continue;
    cursor.canceledTimers.push(taskId);
    work.push({ kind: 'cancelTimer', taskId });
  }

  for (let index = cursor.processedActions; index < leaves.length; index++) {
    const action = leaves[index] as Action;
    const unsupported = unsupportedActionReason(action);
    if (unsupported) return { events, work, failure: unsupported, continueAsNew };
    let taskId: number | null = null;
    switch (action.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry: {
        const name = action.functionName ?? '';
        if (!isActivity(name)) {
          return {
            events,
            work,
            failure: `The function '${name}' doesn't exist, is disabled, or is not an activity function.`,
            continueAsNew,
          };
        }
        taskId = cursor.nextTaskId++;
        const inputText = inputJsonText(action.input);
        events.push(scheduledEvent(now, taskId, name, inputText));
        work.push({ kind: 'activity', taskId, functionName: name, inputText });
        if (action.actionType === ActionType.CallActivityWithRetry && action.retryOptions) {
          cursor.retries.push({
            actionIndex: index,
            functionName: name,
            inputText,
            options: action.retryOptions,
            firstAttemptAt: now.toISOString(),
            failures: 0,
            taskId,
            timerId: null,
            exhausted: false,
            lastReason: '',
            lastDetails: '',
          });
        }
        break;
      }
      case ActionType.CreateTimer: {
        taskId = cursor.nextTaskId++;
        const fireAt = new Date(action.fireAt ?? now).toISOString();
        events.push(newEvent(EventType.TimerCreated, now, { FireAt: fireAt }, taskId));
        if (action.isCanceled) cursor.canceledTimers.push(taskId);
        else work.push({ kind: 'timer', taskId, fireAt });
        break;
      }
      case ActionType.ContinueAsNew:
        continueAsNew = { inputText: inputJsonText(action.input) };
        break;
      default:
        break; // WaitForExternalEvent: completed by EventRaised, keyed by name; takes no id
    }
    cursor.actionTaskIds.push(taskId);
    cursor.processedActions = index + 1;
  }
  return { events, work, failure: undefined, continueAsNew };
}
