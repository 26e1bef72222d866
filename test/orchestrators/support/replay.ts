import { DummyOrchestrationContext, type OrchestrationHandler } from 'durable-functions';
import { createOrchestrator } from 'durable-functions/lib/src/util/testingUtils';

/** DTFx history event types (durable-functions lib/src/history/HistoryEventType.js). */
export const EventType = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
} as const;

export type HistoryEvent = Record<string, unknown> & { EventType: number };

/**
 * Builds a history the way the Durable extension serializes it (PascalCase DTFx events, numeric EventType,
 * JSON-text Input/Result, ISO timestamps). The clock only moves forward, one second per event.
 */
export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  private clock = Date.parse('2026-11-24T04:00:00.000Z');

  private push(eventType: number, fields: Record<string, unknown> = {}, eventId = -1): this {
    this.clock += 1000;
    this.events.push({
      EventType: eventType,
      EventId: eventId,
      IsPlayed: false,
      Timestamp: new Date(this.clock).toISOString(),
      ...fields,
    });
    return this;
  }

  started(name: string, input: unknown): this {
    return this.push(EventType.OrchestratorStarted).push(EventType.ExecutionStarted, {
      Name: name,
      Input: JSON.stringify(input),
      Version: '',
    });
  }

  /** Ends an episode: what the host records after acting on the returned actions. */
  episodeEnd(scheduled: Array<[id: number, name: string]> = [], timers: number[] = []): this {
    for (const [id, name] of scheduled) this.push(EventType.TaskScheduled, { Name: name }, id);
    for (const id of timers) this.push(EventType.TimerCreated, { FireAt: this.fireAt() }, id);
    return this.push(EventType.OrchestratorCompleted);
  }

  /** Starts an episode that delivers new events. */
  episode(): this {
    return this.push(EventType.OrchestratorStarted);
  }

  completed(taskScheduledId: number, result: unknown): this {
    return this.push(EventType.TaskCompleted, {
      TaskScheduledId: taskScheduledId,
      Result: JSON.stringify(result),
    });
  }

  /** How the extension reports an activity that threw (TaskActivityShim: Reason + serialized Details). */
  failed(taskScheduledId: number, name: string, message: string): this {
    return this.push(EventType.TaskFailed, {
      TaskScheduledId: taskScheduledId,
      Reason: `Activity function '${name}' failed: ${message}`,
      Details: JSON.stringify({ message, stack: `Error: ${message}\n    at activity (resize.js:1:1)` }),
    });
  }

  timerCreated(id: number): this {
    return this.push(EventType.TimerCreated, { FireAt: this.fireAt() }, id);
  }

  timerFired(timerId: number): this {
    return this.push(EventType.TimerFired, { TimerId: timerId, FireAt: this.fireAt() });
  }

  private fireAt(): string {
    return new Date(this.clock + 2000).toISOString();
  }
}

export interface OrchestratorState {
  isDone: boolean;
  actions: unknown[][];
  output?: unknown;
  customStatus?: unknown;
  error?: string;
  schemaVersion: number;
}

export type EpisodeResult =
  | { ok: true; state: OrchestratorState; logs: string[] }
  | { ok: false; error: string; state: OrchestratorState; logs: string[] };

const OUT_OF_PROC_LABEL = '\n\n$OutOfProcData$:';

/**
 * Runs one orchestrator episode through the library's own replay: the trigger payload is the JSON the
 * extension sends (`upperSchemaVersion: 1` = V2 actions), and the returned state is read back as JSON,
 * as the extension reads it (or from `$OutOfProcData$` when the orchestrator throws).
 */
export async function runEpisode(
  handler: OrchestrationHandler,
  instanceId: string,
  input: unknown,
  history: readonly HistoryEvent[],
): Promise<EpisodeResult> {
  const payload = JSON.parse(
    JSON.stringify({
      history,
      input,
      instanceId,
      isReplaying: false,
      parentInstanceId: null,
      upperSchemaVersion: 1,
    }),
  ) as unknown;
  const logs: string[] = [];
  const context = new DummyOrchestrationContext(
    'resizeImageOrchestrator',
    'invocation-1',
    (_level, ...args) => {
      logs.push(args.map(String).join(' '));
    },
  );
  try {
    const state = await createOrchestrator(handler)(payload, context);
    return { ok: true, state: JSON.parse(JSON.stringify(state)) as OrchestratorState, logs };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = message.indexOf(OUT_OF_PROC_LABEL);
    if (at < 0) throw error;
    const state = JSON.parse(message.slice(at + OUT_OF_PROC_LABEL.length)) as OrchestratorState;
    // 3.5.0 puts `orchestratorReturned` (false) before the label; the extension reads the failure from `state.error`.
    return { ok: false, error: state.error ?? message.slice(0, at), state, logs };
  }
}

/**
 * Records task `firstId` of activity `name` failing on every attempt of a retry policy of `attempts`: per
 * attempt the failure, its retry timer (the next free id) and, before the last, the re-attempt (the id after).
 * `message(attempt)` is the error text of each (1-based) attempt. Returns the next free task id.
 */
export function failsEveryAttempt(
  history: HistoryBuilder,
  activity: { name: string; attempts: number; message: (attempt: number) => string },
  firstId: number,
  nextFree: number,
): number {
  let attemptId = firstId;
  let nextId = nextFree;
  for (let attempt = 1; attempt <= activity.attempts; attempt++) {
    const timerId = nextId++;
    history.failed(attemptId, activity.name, activity.message(attempt));
    history.episodeEnd([], [timerId]).episode().timerFired(timerId);
    if (attempt < activity.attempts) {
      attemptId = nextId++;
      history.episodeEnd([[attemptId, activity.name]]).episode();
    }
  }
  return nextId;
}

/** The orchestration's clock in the episode being built: the timestamp of its last OrchestratorStarted (ms). */
export function episodeClock(history: HistoryBuilder): number {
  const started = history.events.filter((event) => event.EventType === EventType.OrchestratorStarted).at(-1);
  return Date.parse(String(started?.Timestamp));
}
