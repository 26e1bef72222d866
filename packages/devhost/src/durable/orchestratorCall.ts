import type { FunctionInvoker } from '../contracts';
import type { Action } from './actions';
import { MAX_CUSTOM_STATUS_CHARS, MAX_INSTANCE_VALUE_CHARS } from './chunks';
import type { Cursor } from './cursor';
import { applyActions, type WorkItem } from './episode';
import type { CompletionStatus, HistoryEvent } from './history';
import {
  actionList,
  stateFromError,
  stateFromReturnValue,
  type OrchestratorState,
} from './orchestratorState';

export interface Completion {
  status: CompletionStatus;
  /** Output JSON text (Completed), failure or termination text, or the next input (ContinuedAsNew). */
  result: string | undefined;
}

export interface OrchestratorOutcome {
  events: HistoryEvent[];
  work: WorkItem[];
  completion: Completion | undefined;
}

export interface OrchestratorCall {
  invoker: FunctionInvoker;
  name: string;
  instanceId: string;
  inputText: string | undefined;
  /** Committed events, then this episode's OrchestratorStarted and new events. */
  history: readonly HistoryEvent[];
  /** How many of `history` were committed before this episode (they are sent with `IsPlayed: true`). */
  pastCount: number;
  cursor: Cursor;
  now: Date;
  isActivity: (name: string) => boolean;
}

/** Input JSON text -> the payload's `input` (parsed JSON, as the extension's `GetInputAsJson`; null if none). */
function parsedInput(inputText: string | undefined): unknown {
  if (inputText === undefined) return null;
  try {
    return JSON.parse(inputText) as unknown;
  } catch {
    return inputText;
  }
}

/**
 * Runs one orchestrator episode through the library (the extension's `OutOfProcOrchestrationShim`): sends the
 * payload, reads the state, turns new actions into events and work (updating `cursor`), and decides completion.
 */
export async function callOrchestrator(call: OrchestratorCall): Promise<OrchestratorOutcome> {
  const { cursor, now, isActivity } = call;
  const payload = {
    history: call.history.map((event, index) => ({ ...event, IsPlayed: index < call.pastCount })),
    input: parsedInput(call.inputText),
    instanceId: call.instanceId,
    isReplaying: call.pastCount > 0,
    parentInstanceId: null,
    upperSchemaVersion: 1,
  };
  const result = await call.invoker.invoke(call.name, { triggerData: { string: JSON.stringify(payload) } });
  const failed = (message: string): Completion => ({
    status: 'Failed',
    result: `Orchestrator function '${call.name}' failed: ${message}`,
  });

  if (!result.ok) {
    try {
      const { message, state } = stateFromError(result.error);
      // The extension replays the failed episode's actions before failing the instance: record them, start nothing.
      const recorded = state ? applyActions(cursor, actionList(state), now, isActivity) : undefined;
      if (state?.customStatus !== undefined) cursor.customStatus = JSON.stringify(state.customStatus);
      return { events: recorded?.events ?? [], work: [], completion: failed(message) };
    } catch {
      return { events: [], work: [], completion: failed(result.error.message) };
    }
  }

  let state: OrchestratorState;
  let actions: Action[];
  try {
    state = stateFromReturnValue(result.returnValue);
    actions = actionList(state);
  } catch (error) {
    return { events: [], work: [], completion: failed((error as Error).message) };
  }
  if (state.customStatus !== undefined) cursor.customStatus = JSON.stringify(state.customStatus);
  const outcome = applyActions(cursor, actions, now, isActivity);
  if (outcome.failure) return { events: outcome.events, work: [], completion: failed(outcome.failure) };
  if (outcome.continueAsNew) {
    return {
      events: outcome.events,
      work: [],
      completion: { status: 'ContinuedAsNew', result: outcome.continueAsNew.inputText },
    };
  }
  if (state.isDone) {
    return {
      events: outcome.events,
      work: [],
      completion: { status: 'Completed', result: JSON.stringify(state.output) ?? 'null' },
    };
  }
  return { events: outcome.events, work: outcome.work, completion: undefined };
}

/** Why the instance row could not hold an episode's output or custom status, if it could not. */
export function oversizedValue(cursor: Cursor, completion: Completion | undefined): string | undefined {
  const custom = cursor.customStatus;
  if (custom !== null && custom.length > MAX_CUSTOM_STATUS_CHARS) {
    return `The custom status is ${custom.length} characters of JSON; at most ${MAX_CUSTOM_STATUS_CHARS} are allowed.`;
  }
  const output = completion?.result;
  if (completion?.status !== 'Failed' && output !== undefined && output.length > MAX_INSTANCE_VALUE_CHARS) {
    return `The output is ${output.length} characters of JSON; the local Durable engine stores at most ${MAX_INSTANCE_VALUE_CHARS}.`;
  }
  return undefined;
}
