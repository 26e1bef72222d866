import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { SettingError } from '../domain/errors';
import { fromDecimalText, positiveInteger } from '../domain/validation';
import type { Env } from './settings';

/**
 * The Durable settings of host.json, read once here as the Functions host applies them, for the app (sharp
 * tuning) and the local host alike. Sources of the defaults: the Durable Functions host.json reference
 * ("hubName": TestHubName; "maxConcurrentActivityFunctions": 10 x the processors of the machine on
 * Dedicated/Premium plans, 10 on the Consumption plan). The app's own host.json sets both, so the defaults
 * only apply to other apps.
 */
export interface DurableHostConfig {
  hubName: string;
  /** Activities one worker runs at once. */
  maxConcurrentActivityFunctions: number;
}

export const DEFAULT_HUB_NAME = 'TestHubName';

/** The extension's default when host.json says nothing: 10 per processor (Dedicated/Premium plans). */
export function defaultActivityConcurrency(processors: number = availableParallelism()): number {
  return 10 * processors;
}

/** How Azure overrides a host.json value from app settings (`AzureFunctionsJobHost__` + the JSON path). */
export const HOST_SETTING_PREFIX = 'AzureFunctionsJobHost__';
const DURABLE_PATH = ['extensions', 'durableTask'] as const;
export const ACTIVITY_CONCURRENCY_SETTING = `${HOST_SETTING_PREFIX}${[...DURABLE_PATH, 'maxConcurrentActivityFunctions'].join('__')}`;
const HUB_NAME_SETTING = `${HOST_SETTING_PREFIX}${[...DURABLE_PATH, 'hubName'].join('__')}`;

/**
 * The function app's root is the folder holding host.json. Compiled code runs from `dist/src/config`
 * (Azure and npm start), tests run the sources from `src/config`; walking up works for both.
 */
export function findAppRoot(startDirectory: string = __dirname): string {
  let directory = startDirectory;
  for (;;) {
    if (existsSync(path.join(directory, 'host.json'))) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) return process.cwd();
    directory = parent;
  }
}

function readHostJson(appRoot: string): unknown {
  const file = path.join(appRoot, 'host.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new SettingError(file, 'valid JSON', text);
  }
}

function durableTaskValue(hostJson: unknown, key: string): unknown {
  let node: unknown = hostJson;
  for (const segment of [...DURABLE_PATH, key]) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** An app setting by name, matched case-insensitively as .NET configuration does; blank counts as unset. */
function hostSetting(env: Env, name: string): { name: string; value: string } | undefined {
  const found = Object.keys(env).find((key) => key.toLowerCase() === name.toLowerCase());
  const value = found === undefined ? undefined : env[found];
  return found === undefined || value === undefined || value.trim() === ''
    ? undefined
    : { name: found, value };
}

function activityConcurrency(hostJson: unknown, env: Env, processors: number): number {
  const setting = hostSetting(env, ACTIVITY_CONCURRENCY_SETTING);
  if (setting !== undefined) {
    const value = positiveInteger(fromDecimalText(setting.value));
    if (value === undefined) throw new SettingError(setting.name, 'a positive integer', setting.value);
    return value;
  }
  const fromHostJson = durableTaskValue(hostJson, 'maxConcurrentActivityFunctions');
  if (fromHostJson === undefined || fromHostJson === null) return defaultActivityConcurrency(processors);
  const value = positiveInteger(fromHostJson);
  if (value === undefined) {
    throw new SettingError(
      `host.json ${[...DURABLE_PATH, 'maxConcurrentActivityFunctions'].join('.')}`,
      'a positive integer',
      fromHostJson,
    );
  }
  return value;
}

/**
 * The Durable host settings as the Functions host applies them: an app setting
 * `AzureFunctionsJobHost__extensions__durableTask__{key}` wins over host.json, which wins over the default.
 * Throws a SettingError naming the value when one is present but invalid.
 */
export function readDurableHostConfig(
  appRoot: string,
  env: Env = process.env,
  processors: number = availableParallelism(),
): DurableHostConfig {
  const hostJson = readHostJson(appRoot);
  const hubFromJson = durableTaskValue(hostJson, 'hubName');
  const hubName =
    hostSetting(env, HUB_NAME_SETTING)?.value.trim() ??
    (typeof hubFromJson === 'string' && hubFromJson !== '' ? hubFromJson : DEFAULT_HUB_NAME);
  return { hubName, maxConcurrentActivityFunctions: activityConcurrency(hostJson, env, processors) };
}
