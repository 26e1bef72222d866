import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface DurableHostConfig {
  hubName: string;
  maxConcurrentActivityFunctions: number;
}

/** The Durable settings of host.json (`extensions.durableTask`), with the extension's defaults. */
export function readDurableHostConfig(appRoot: string): DurableHostConfig {
  const file = path.join(appRoot, 'host.json');
  const hostJson: unknown = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const durableTask =
    (hostJson as { extensions?: { durableTask?: Record<string, unknown> } }).extensions?.durableTask ?? {};
  const hubName =
    typeof durableTask.hubName === 'string' && durableTask.hubName !== ''
      ? durableTask.hubName
      : 'TestHubName';
  const max = durableTask.maxConcurrentActivityFunctions;
  return {
    hubName,
    maxConcurrentActivityFunctions: typeof max === 'number' && Number.isInteger(max) && max > 0 ? max : 10,
  };
}
