/** The V2 action list the durable-functions library returns (`lib/src/actions/*`), flattened the way it assigns ids. */
export enum ActionType {
  CallActivity = 0,
  CallActivityWithRetry = 1,
  CallSubOrchestrator = 2,
  CallSubOrchestratorWithRetry = 3,
  ContinueAsNew = 4,
  CreateTimer = 5,
  WaitForExternalEvent = 6,
  CallEntity = 7,
  CallHttp = 8,
  SignalEntity = 9,
  WhenAny = 11,
  WhenAll = 12,
}

export interface RetryOptionsJson {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface Action {
  actionType: ActionType;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptionsJson;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: Action[];
}

/**
 * Leaf actions in the order the library gives them task ids: depth-first over `WhenAll`/`WhenAny` children,
 * in the order the tasks were first yielded (`TaskOrchestrationExecutor.trackOpenTask`).
 */
export function flattenActions(actions: readonly Action[]): Action[] {
  const leaves: Action[] = [];
  const visit = (action: Action): void => {
    if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
      for (const child of action.compoundActions ?? []) visit(child);
    } else {
      leaves.push(action);
    }
  };
  for (const action of actions) visit(action);
  return leaves;
}

/**
 * JSON text of an activity or continue-as-new input. The library pre-stringifies string inputs
 * (`Utils.processInput`), so a string is already JSON text; anything else is a JSON value. Undefined stays absent.
 */
export function inputJsonText(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  return typeof input === 'string' ? input : JSON.stringify(input);
}

/** Why an action cannot run here; undefined when it is supported. */
export function unsupportedActionReason(action: Action): string | undefined {
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
    case ActionType.CreateTimer:
    case ActionType.WaitForExternalEvent:
    case ActionType.ContinueAsNew:
      return undefined;
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
      return 'Sub-orchestrations are not supported by the local Durable engine.';
    case ActionType.CallEntity:
    case ActionType.SignalEntity:
      return 'Durable entities are not supported by the local Durable engine.';
    case ActionType.CallHttp:
      return 'Durable HTTP calls (callHttp) are not supported by the local Durable engine.';
    default:
      return `Action type ${String(action.actionType)} is not supported by the local Durable engine.`;
  }
}
