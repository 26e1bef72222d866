import type { InvocationResult, TypedData } from '../contracts';
import { maxChunkedChars } from './chunks';
import { EventType, newEvent, type HistoryEvent } from './history';

/** JSON text of an activity's return value (`TaskCompleted.Result`), as the extension serializes the output. */
export function resultJsonText(returnValue: TypedData | undefined): string {
  if (!returnValue) return 'null';
  if (returnValue.json !== undefined) return returnValue.json;
  if (returnValue.string !== undefined) return JSON.stringify(returnValue.string);
  if (returnValue.int !== undefined) return JSON.stringify(returnValue.int);
  if (returnValue.double !== undefined) return JSON.stringify(returnValue.double);
  if (returnValue.bytes !== undefined)
    return JSON.stringify(Buffer.from(returnValue.bytes).toString('base64'));
  return 'null';
}

/**
 * The event an activity invocation produces: `TaskCompleted` with its result, or `TaskFailed` with the extension's
 * Reason (`TaskActivityShim`: "Activity function '<name>' failed: <message>") and the error as Details JSON.
 * A result too large to store becomes a failure with a clear reason rather than a storage fault.
 */
export function activityCompletionEvent(
  functionName: string,
  taskId: number,
  result: InvocationResult,
  now: Date,
): HistoryEvent {
  const failure = (message: string, details: string): HistoryEvent =>
    newEvent(EventType.TaskFailed, now, {
      TaskScheduledId: taskId,
      Reason: `Activity function '${functionName}' failed: ${message}`,
      Details: details,
    });
  if (!result.ok) {
    const { message, stack } = result.error;
    return failure(message, JSON.stringify({ message, stack: stack ?? null }));
  }
  const text = resultJsonText(result.returnValue);
  if (text.length > maxChunkedChars()) {
    const message = `its output is ${text.length} characters of JSON; the local Durable engine stores at most ${maxChunkedChars()}.`;
    return failure(message, JSON.stringify({ message }));
  }
  return newEvent(EventType.TaskCompleted, now, { TaskScheduledId: taskId, Result: text });
}
