import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The function app to host: the nearest folder at or above `from` (default: the working directory, as
 * `func start` runs in the app's folder) with a host.json and a package.json.
 */
export function findAppRoot(from: string = process.cwd()): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'host.json')) && existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir)
      throw new Error(`No function app (host.json + package.json) at or above ${from}`);
  }
}
