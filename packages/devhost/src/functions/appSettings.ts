import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface AppSettingsFile {
  /** The file the values came from, or undefined when there is none. */
  file: string | undefined;
  values: Record<string, string>;
}

/**
 * Reads `Values` of local.settings.json as Core Tools does. With `fallbackToSample`, a fresh clone without
 * local.settings.json uses local.settings.json.sample.
 */
export function readAppSettings(
  appRoot: string,
  options: { fallbackToSample?: boolean } = {},
): AppSettingsFile {
  const candidates = [
    'local.settings.json',
    ...(options.fallbackToSample ? ['local.settings.json.sample'] : []),
  ];
  const file = candidates.map((name) => path.join(appRoot, name)).find((candidate) => existsSync(candidate));
  if (file === undefined) return { file: undefined, values: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const values = (parsed as { Values?: unknown } | null)?.Values ?? {};
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new Error(`${file}: "Values" must be an object of strings`);
  }
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === null || value === undefined) continue;
    result[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return { file, values: result };
}

/** Copies settings into the environment; variables already set win, as with the real host. */
export function applyAppSettings(values: Record<string, string>, env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(values)) {
    if (env[name] === undefined) env[name] = value;
  }
}
