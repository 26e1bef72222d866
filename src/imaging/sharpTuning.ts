import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Env } from '../config/settings';
import { SettingError } from '../config/settingError';

/** host.json's own default in this app, used when neither host.json nor the app setting says otherwise. */
export const DEFAULT_ACTIVITY_CONCURRENCY = 4;

/** How Azure overrides a host.json value from app settings (`AzureFunctionsJobHost__` + the JSON path). */
export const ACTIVITY_CONCURRENCY_SETTING =
  'AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions';
const HOST_JSON_PATH = 'extensions.durableTask.maxConcurrentActivityFunctions';

export interface SharpTuning {
  /** libvips worker threads per image pipeline (`sharp.concurrency`). */
  threadsPerImage: number;
  /** Concurrent resize activities this worker was tuned for. */
  activityConcurrency: number;
  /** CPU cores seen by this process. */
  cores: number;
}

function positiveInteger(name: string, value: unknown): number {
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) {
    throw new SettingError(name, 'a positive integer', value);
  }
  return number;
}

/**
 * Tunes sharp for `activityConcurrency` resize activities running side by side in this worker; call once.
 * - `sharp.cache(false)`: libvips' operation cache pays off when the same operations run again on the same
 *   input. Every activity decodes a different source (or the same source once per size, through a fresh
 *   buffer), so the cache never hits and only holds decoded memory (50 MB by default) that the next
 *   activity needs.
 * - `sharp.concurrency(max(1, floor(cores / activityConcurrency)))`: libvips threads per pipeline. With N
 *   activities decoding at once, N x threads should not exceed the cores, or they time-slice and each image
 *   holds its buffers longer. More than one thread per image only helps when fewer images than cores run.
 * (sharp runs each pipeline on a libuv worker; `UV_THREADPOOL_SIZE`, default 4, must be >= the activity
 * concurrency for all of them to run at once. The default matches host.json's 4.)
 */
export function configureSharp(options: { activityConcurrency?: number; cores?: number } = {}): SharpTuning {
  const activityConcurrency = positiveInteger(
    'activityConcurrency',
    options.activityConcurrency ?? DEFAULT_ACTIVITY_CONCURRENCY,
  );
  const cores = positiveInteger('cores', options.cores ?? availableParallelism());
  const threadsPerImage = Math.max(1, Math.floor(cores / activityConcurrency));
  sharp.cache(false);
  sharp.concurrency(threadsPerImage);
  return { threadsPerImage, activityConcurrency, cores };
}

function readHostJson(appRoot: string): unknown {
  const file = join(appRoot, 'host.json');
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

function hostJsonValue(hostJson: unknown): unknown {
  let node: unknown = hostJson;
  for (const key of HOST_JSON_PATH.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * `maxConcurrentActivityFunctions` as the Functions host will apply it: the app setting
 * `AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions` (how Azure overrides
 * host.json; matched case-insensitively, as .NET configuration does) wins over `host.json`; 4 if neither sets it.
 */
export function activityConcurrencyFromHost(appRoot: string, env: Env): number {
  const settingName = Object.keys(env).find(
    (name) => name.toLowerCase() === ACTIVITY_CONCURRENCY_SETTING.toLowerCase(),
  );
  const fromSetting = settingName === undefined ? undefined : env[settingName];
  if (settingName !== undefined && fromSetting !== undefined && fromSetting.trim() !== '') {
    return positiveInteger(settingName, fromSetting);
  }
  const fromHostJson = hostJsonValue(readHostJson(appRoot));
  if (fromHostJson === undefined || fromHostJson === null) return DEFAULT_ACTIVITY_CONCURRENCY;
  return positiveInteger(`host.json ${HOST_JSON_PATH}`, fromHostJson);
}
