import { EventType, type HistoryEvent } from './history';
import type { InstanceRecord } from './store';

/** `OrchestrationRuntimeStatus` as the JS client and the HTTP API spell it. */
export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

export const RUNTIME_STATUSES: readonly RuntimeStatus[] = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
];

const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export function isTerminal(status: RuntimeStatus): boolean {
  return TERMINAL.has(status);
}

/** .NET `DateTime.ToString("s") + "Z"`: second precision, as the extension's `StatusResponsePayload` writes it. */
export function formatStatusTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Parsed JSON when the text is JSON, the raw text otherwise (the extension's `ParseToJToken`). */
export function parseJsonOrRaw(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface StatusOptions {
  showInput: boolean;
  showHistory: boolean;
  showHistoryOutput: boolean;
}

/** `StatusResponsePayload`: the body of GET instances/{id} and each element of the list. */
export function statusPayload(
  record: InstanceRecord,
  options: StatusOptions,
  history?: readonly HistoryEvent[],
): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.runtimeStatus,
    input: options.showInput ? parseJsonOrRaw(record.input) : null,
    customStatus: parseJsonOrRaw(record.customStatus),
    output: parseJsonOrRaw(record.output),
    createdTime: formatStatusTime(record.createdTime),
    lastUpdatedTime: formatStatusTime(record.lastUpdatedTime),
  };
  if (options.showHistory && history) payload.historyEvents = publicHistory(history, options);
  return payload;
}

/**
 * The history as `DurableClient.GetDurableOrchestrationStatusAsync` reports it: OrchestratorStarted/Completed and
 * TaskScheduled rows removed (their name, input and time merged into the completion), EventType as a string,
 * EventId/IsPlayed dropped, results only with showHistoryOutput.
 */
export function publicHistory(
  history: readonly HistoryEvent[],
  options: StatusOptions,
): Record<string, unknown>[] {
  const scheduled = new Map<number, HistoryEvent>();
  const timers = new Map<number, HistoryEvent>();
  for (const event of history) {
    if (event.EventType === EventType.TaskScheduled) scheduled.set(event.EventId, event);
    if (event.EventType === EventType.TimerCreated) timers.set(event.EventId, event);
  }
  const result: Record<string, unknown>[] = [];
  for (const event of history) {
    const type = EventType[event.EventType];
    switch (event.EventType) {
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
      case EventType.TaskScheduled:
        break;
      case EventType.ExecutionStarted:
        result.push({
          EventType: type,
          FunctionName: event.Name,
          ...(options.showInput ? { Input: event.Input ?? null } : {}),
          Timestamp: event.Timestamp,
        });
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed: {
        const task = scheduled.get(event.TaskScheduledId ?? -1);
        result.push({
          EventType: type,
          ...(event.EventType === EventType.TaskCompleted && options.showHistoryOutput
            ? { Result: parseJsonOrRaw(event.Result) }
            : {}),
          ...(event.EventType === EventType.TaskFailed
            ? { Reason: event.Reason, Details: event.Details }
            : {}),
          FunctionName: task?.Name,
          ScheduledTime: task?.Timestamp,
          ...(options.showInput && task ? { Input: task.Input ?? null } : {}),
          Timestamp: event.Timestamp,
        });
        break;
      }
      case EventType.TimerCreated:
        result.push({ EventType: type, FireAt: event.FireAt, Timestamp: event.Timestamp });
        break;
      case EventType.TimerFired:
        result.push({
          EventType: type,
          FireAt: event.FireAt ?? timers.get(event.TimerId ?? -1)?.FireAt,
          Timestamp: event.Timestamp,
        });
        break;
      case EventType.ExecutionCompleted:
        result.push({
          EventType: type,
          OrchestrationStatus: event.OrchestrationStatus,
          ...(options.showHistoryOutput ? { Result: parseJsonOrRaw(event.Result) } : {}),
          Timestamp: event.Timestamp,
        });
        break;
      default:
        result.push({
          EventType: type,
          ...(event.Name !== undefined ? { Name: event.Name } : {}),
          ...(event.Input !== undefined ? { Input: event.Input } : {}),
          Timestamp: event.Timestamp,
        });
    }
  }
  return result;
}
