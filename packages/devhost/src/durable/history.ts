/**
 * DTFx history events as the Durable extension hands them to the JS library (PascalCase, numeric EventType).
 * Only the fields the library reads plus the ones the status API reports are kept.
 */
export enum EventType {
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  TimerCreated = 10,
  TimerFired = 11,
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  EventRaised = 15,
  ContinueAsNew = 16,
  ExecutionSuspended = 19,
  ExecutionResumed = 20,
}

/** DTFx `OrchestrationStatus`, used by ExecutionCompleted. */
export type CompletionStatus = 'Completed' | 'Failed' | 'Terminated' | 'ContinuedAsNew';

export interface HistoryEvent {
  EventType: EventType;
  /** The task id for TaskScheduled/TimerCreated, -1 otherwise. */
  EventId: number;
  IsPlayed: boolean;
  /** ISO 8601 with milliseconds. */
  Timestamp: string;
  Name?: string;
  /** JSON text (ExecutionStarted, TaskScheduled, EventRaised) or the reason text (ExecutionTerminated, suspend/resume). */
  Input?: string | null;
  Version?: string;
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string };
  TaskScheduledId?: number;
  /** JSON text of a result (TaskCompleted) or the output (ExecutionCompleted). */
  Result?: string | null;
  Reason?: string;
  Details?: string;
  FireAt?: string;
  TimerId?: number;
  OrchestrationStatus?: CompletionStatus;
}

type EventFields = Omit<HistoryEvent, 'EventType' | 'EventId' | 'IsPlayed' | 'Timestamp'>;

/** A new (not yet played) event; `EventId` is -1 unless the event records a scheduled task id. */
export function newEvent(type: EventType, at: Date, fields: EventFields = {}, eventId = -1): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: at.toISOString(), ...fields };
}

/** Events that complete something the orchestrator waits for (what "one completion per episode" counts). */
export function isCompletionEvent(event: HistoryEvent): boolean {
  return (
    event.EventType === EventType.TaskCompleted ||
    event.EventType === EventType.TaskFailed ||
    event.EventType === EventType.TimerFired ||
    event.EventType === EventType.EventRaised
  );
}
