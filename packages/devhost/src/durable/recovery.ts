import type { Cursor } from './cursor';
import type { WorkItem } from './episode';
import { EventType, type HistoryEvent } from './history';

/**
 * Work a restarted engine must redo for an unfinished instance: every scheduled activity and every timer without
 * a completion in the committed history or in the inbox. Activities therefore run at least once, as in Azure.
 */
export function outstandingWork(
  history: readonly HistoryEvent[],
  inbox: readonly HistoryEvent[],
  cursor: Cursor,
): WorkItem[] {
  const doneTasks = new Set<number>();
  const firedTimers = new Set<number>();
  for (const event of [...history, ...inbox]) {
    if (event.EventType === EventType.TaskCompleted || event.EventType === EventType.TaskFailed) {
      doneTasks.add(event.TaskScheduledId ?? -1);
    }
    if (event.EventType === EventType.TimerFired) firedTimers.add(event.TimerId ?? -1);
  }
  const work: WorkItem[] = [];
  for (const event of history) {
    const taskId = event.EventId;
    if (event.EventType === EventType.TaskScheduled && !doneTasks.has(taskId)) {
      const tracker = cursor.retries.find((r) => r.taskId === taskId && r.timerId === null);
      work.push(
        tracker?.exhausted
          ? { kind: 'failTask', taskId, reason: tracker.lastReason, details: tracker.lastDetails }
          : { kind: 'activity', taskId, functionName: event.Name ?? '', inputText: event.Input ?? undefined },
      );
    }
    if (
      event.EventType === EventType.TimerCreated &&
      !firedTimers.has(taskId) &&
      !cursor.canceledTimers.includes(taskId)
    ) {
      work.push({ kind: 'timer', taskId, fireAt: event.FireAt ?? event.Timestamp });
    }
  }
  return work;
}
