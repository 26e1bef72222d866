import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityHandler } from 'durable-functions';
import { getSettings } from '../config/settings';
import { FIND_UNREGISTERED_SIZES_FUNCTION, resizeFunctionName } from '../domain/functionNames';
import { ArgumentError } from '../domain/errors';
import type { FindUnregisteredSizesInput } from '../domain/types';
import { invocationLogger } from '../logging';

function assertInput(value: unknown): FindUnregisteredSizesInput {
  const input = value as Partial<FindUnregisteredSizesInput> | null;
  if (
    typeof input !== 'object' ||
    input === null ||
    typeof input.instanceId !== 'string' ||
    typeof input.blobName !== 'string' ||
    !Array.isArray(input.labels) ||
    !input.labels.every((label) => typeof label === 'string')
  ) {
    throw new ArgumentError('the input', '{instanceId, blobName, labels: string[]}', value);
  }
  return input as FindUnregisteredSizesInput;
}

/**
 * Which of `labels` have no `resize-{label}` activity in THIS deployment (`IMAGE_SIZES` ∪ `RETIRED_SIZES`,
 * the set src/activities/resizeImage.ts registers). The orchestrator asks before every fan-out round, because
 * the Durable host fails the whole orchestration (not the task) when it is asked to schedule an activity that
 * does not exist; the answer is recorded in the history, so a replay decides the same. Each missing label is
 * logged as a warning naming the instance and the function, so the operator sees the fault at once.
 */
export function createFindUnregisteredSizesHandler(registered: () => ReadonlySet<string>): ActivityHandler {
  return (rawInput: unknown, context: InvocationContext): string[] => {
    const input = assertInput(rawInput);
    const known = registered();
    const missing = input.labels.filter((label) => !known.has(label));
    const log = invocationLogger(context, { blobName: input.blobName, instanceId: input.instanceId });
    for (const label of missing) {
      log.warn('planned size has no activity in this deployment', {
        label,
        function: resizeFunctionName(label),
        fix: `list "${label}" in RETIRED_SIZES until no instance that planned it is running`,
      });
    }
    return missing;
  };
}

function registeredLabels(): ReadonlySet<string> {
  const settings = getSettings();
  return new Set([...settings.sizes.map((size) => size.label), ...settings.retiredSizes]);
}

export const findUnregisteredSizesActivity = df.app.activity(FIND_UNREGISTERED_SIZES_FUNCTION, {
  handler: createFindUnregisteredSizesHandler(registeredLabels),
});
