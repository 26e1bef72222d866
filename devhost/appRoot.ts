import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root (the function app): the nearest folder above this file with a host.json. */
export function findAppRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'host.json')) && existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir)
      throw new Error(`No function app (host.json + package.json) above ${from}`);
  }
}
