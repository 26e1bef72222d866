import type { Action } from './actions';
import type { TypedData } from '../contracts';

/** What the library's orchestrator handler returns (`OrchestratorState`), the fields the host acts on. */
export interface OrchestratorState {
  isDone: boolean;
  actions: Action[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
}

const OUT_OF_PROC_LABEL = '\n\n$OutOfProcData$:';

/** The state of a successful call (`returnValue` as `{json}` or `{string}`). */
export function stateFromReturnValue(returnValue: TypedData | undefined): OrchestratorState {
  const text = returnValue?.json ?? returnValue?.string;
  if (text === undefined) throw new Error('The orchestrator function returned no orchestration state');
  return JSON.parse(text) as OrchestratorState;
}

/**
 * A failed call: the library throws `OrchestrationFailureError` with the state JSON after `$OutOfProcData$:`
 * (what the extension's `TryExtractOutOfProcStateJson` reads). Anything else failed before the library ran.
 */
export function stateFromError(error: Error): { message: string; state: OrchestratorState | undefined } {
  const at = error.message.indexOf(OUT_OF_PROC_LABEL);
  if (at < 0) return { message: error.message, state: undefined };
  const state = JSON.parse(error.message.slice(at + OUT_OF_PROC_LABEL.length)) as OrchestratorState;
  return { message: state.error ?? error.message.slice(0, at), state };
}

/** The V2 schema returns exactly one action list (the extension rejects anything else). */
export function actionList(state: OrchestratorState): Action[] {
  if (state.actions.length > 1) {
    throw new Error(`Expected one action list (replay schema V2) but received ${state.actions.length}`);
  }
  return state.actions[0] ?? [];
}
