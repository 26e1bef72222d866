import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The function app's root is the folder holding host.json. Compiled code runs from `dist/src/activities`
 * (Azure and npm start), tests run the sources from `src/activities`; walking up works for both.
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
