import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

export interface DurableHostConfig {
  hubName: string;
  /** Activities the host runs at once. */
  maxConcurrentActivityFunctions: number;
}

/** How the Functions host overrides a host.json value from app settings: this prefix + the JSON path with `__`. */
const OVERRIDE_PREFIX = 'AzureFunctionsJobHost__extensions__durableTask__';

/** An app setting by name, matched case-insensitively as .NET configuration does; blank counts as unset. */
function override(env: NodeJS.ProcessEnv, key: string): { name: string; value: string } | undefined {
  const wanted = `${OVERRIDE_PREFIX}${key}`.toLowerCase();
  const name = Object.keys(env).find((candidate) => candidate.toLowerCase() === wanted);
  const value = name === undefined ? undefined : env[name];
  return name === undefined || value === undefined || value.trim() === '' ? undefined : { name, value };
}

/**
 * The Durable settings of host.json (`extensions.durableTask`) as the Functions host applies them: an app setting
 * `AzureFunctionsJobHost__extensions__durableTask__{key}` wins over host.json, which wins over the extension's
 * defaults (Durable Functions host.json reference: hubName `TestHubName`, maxConcurrentActivityFunctions 10 per
 * processor). The app sizes sharp from the same rule, so both must agree on the number.
 *
 * @throws Error naming the setting when an override of maxConcurrentActivityFunctions is not a positive integer.
 */
export function readDurableHostConfig(
  appRoot: string,
  env: NodeJS.ProcessEnv = process.env,
  processors: number = availableParallelism(),
): DurableHostConfig {
  const file = path.join(appRoot, 'host.json');
  const hostJson: unknown = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const durableTask =
    (hostJson as { extensions?: { durableTask?: Record<string, unknown> } }).extensions?.durableTask ?? {};
  const hubName =
    override(env, 'hubName')?.value.trim() ??
    (typeof durableTask.hubName === 'string' && durableTask.hubName !== ''
      ? durableTask.hubName
      : 'TestHubName');

  const setting = override(env, 'maxConcurrentActivityFunctions');
  let max: unknown = durableTask.maxConcurrentActivityFunctions;
  if (setting !== undefined) {
    max = /^\s*\d+\s*$/.test(setting.value) ? Number(setting.value) : Number.NaN;
    if (!(Number.isSafeInteger(max) && (max as number) > 0)) {
      throw new Error(
        `Expected a positive integer for ${setting.name} but received ${JSON.stringify(setting.value)}`,
      );
    }
  }
  return {
    hubName,
    maxConcurrentActivityFunctions:
      typeof max === 'number' && Number.isInteger(max) && max > 0 ? max : 10 * processors,
  };
}
