import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { OrchestrationRuntimeStatus } from 'durable-functions';

/**
 * durable-functions 3.5 `getStatus` answers an unknown instance id (HTTP 404 from the extension) by throwing a
 * plain Error with this message; every other failure (500, network) rejects differently and must propagate.
 */
const NOT_FOUND_MESSAGE_PREFIX =
  'DurableClient error: Durable Functions extension replied with HTTP 404 response.';

export function isInstanceNotFound(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith(NOT_FOUND_MESSAGE_PREFIX);
}

export type StatusReader = Pick<DurableClient, 'getStatus'>;

/** The instance's status, or undefined when the task hub has never heard of it. Other failures throw. */
export async function findInstanceStatus(
  client: StatusReader,
  instanceId: string,
): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(instanceId, { showInput: false });
  } catch (error) {
    if (isInstanceNotFound(error)) return undefined;
    throw error;
  }
}

/** Ended without a result worth keeping: a redelivered event may start the same instance id again. */
export const RESTARTABLE_STATUSES: ReadonlySet<string> = new Set([
  OrchestrationRuntimeStatus.Failed,
  OrchestrationRuntimeStatus.Terminated,
]);
