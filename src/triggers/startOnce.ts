import type { DurableClient } from 'durable-functions';
import { ORCHESTRATOR_FUNCTION } from '../domain/functionNames';
import type { ResizeOrchestrationInput } from '../domain/types';
import { findInstanceStatus, RESTARTABLE_STATUSES } from './instanceStatus';

export type InstanceStarter = Pick<DurableClient, 'getStatus' | 'startNew'>;

export type StartOnceResult =
  | { started: true; previousStatus: string | null }
  /** The instance exists and is running or ended well: a duplicate (`raced`: a concurrent start won). */
  | { started: false; runtimeStatus: string; raced: boolean };

/**
 * Starts the orchestration under `instanceId` unless it already exists (and did not fail or get terminated):
 * one instance per source version, whoever asks first (the version's BlobCreated, a redelivery, a hand-off).
 * Task hub failures throw, so the caller is retried.
 */
export async function startOnce(
  client: InstanceStarter,
  instanceId: string,
  input: ResizeOrchestrationInput,
): Promise<StartOnceResult> {
  const existing = await findInstanceStatus(client, instanceId);
  if (existing !== undefined && !RESTARTABLE_STATUSES.has(existing.runtimeStatus)) {
    return { started: false, runtimeStatus: existing.runtimeStatus, raced: false };
  }
  try {
    await client.startNew(ORCHESTRATOR_FUNCTION, { instanceId, input });
  } catch (startError) {
    // Two starters can pass the status check together; the task hub then refuses the second start (the
    // instance exists and is running). That loser is a duplicate, not a failure.
    const raced = await findInstanceStatus(client, instanceId);
    if (raced !== undefined && !RESTARTABLE_STATUSES.has(raced.runtimeStatus)) {
      return { started: false, runtimeStatus: raced.runtimeStatus, raced: true };
    }
    throw startError;
  }
  return { started: true, previousStatus: existing?.runtimeStatus ?? null };
}
