import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const GLOB_CHARACTERS = /[*?[\]{}]/;

function listFiles(root: string, directory = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(path.join(root, directory), { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const relative = path.posix.join(directory, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(root, relative));
    else if (entry.isFile()) files.push(relative);
  }
  return files;
}

/**
 * The app's entry files as the worker finds them: package.json `main`, a path or a glob, relative to the
 * app root (`loadScriptFile.ts` uses globby; here Node's own `path.matchesGlob`).
 */
export function resolveEntryPoints(appRoot: string): string[] {
  const packageJsonPath = path.join(appRoot, 'package.json');
  if (!existsSync(packageJsonPath)) throw new Error(`No package.json in the app root ${appRoot}`);
  const packageJson = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { main?: unknown };
  const main =
    typeof packageJson.main === 'string' && packageJson.main.trim() !== '' ? packageJson.main : 'index.js';
  const pattern = main.replace(/\\/g, '/').replace(/^\.\//, '');
  if (!GLOB_CHARACTERS.test(pattern)) {
    const file = path.resolve(appRoot, pattern);
    if (!existsSync(file)) {
      throw new Error(
        `The entry point "${main}" (package.json "main") does not exist: ${file}. Did you build the app?`,
      );
    }
    return [file];
  }
  const matches = listFiles(appRoot)
    .filter((file) => path.matchesGlob(file, pattern))
    .sort();
  if (matches.length === 0)
    throw new Error(`No files match the package.json "main" pattern "${main}" in ${appRoot}`);
  return matches.map((file) => path.resolve(appRoot, file));
}
