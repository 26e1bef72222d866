import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const GLOB_CHARACTERS = /[*?[\]{}]/;

/**
 * A glob as a RegExp over `/`-separated relative paths: `**` (any depth), `*`, `?`, `[...]`, `{a,b}`.
 * (Node 20's `path.matchesGlob` is experimental and warns on use.)
 */
export function globToRegExp(glob: string): RegExp {
  let pattern = '';
  let braces = 0;
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index] ?? '';
    if (char === '*' && glob[index + 1] === '*') {
      const slash = glob[index + 2] === '/';
      pattern += slash ? '(?:.*/)?' : '.*';
      index += slash ? 2 : 1;
    } else if (char === '*') pattern += '[^/]*';
    else if (char === '?') pattern += '[^/]';
    else if (char === '[') {
      const end = glob.indexOf(']', index + 1);
      if (end < 0) pattern += '\\[';
      else {
        pattern += `[${glob
          .slice(index + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        index = end;
      }
    } else if (char === '{') {
      braces += 1;
      pattern += '(?:';
    } else if (char === '}' && braces > 0) {
      braces -= 1;
      pattern += ')';
    } else if (char === ',' && braces > 0) pattern += '|';
    else pattern += char.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

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
 * app root (`loadScriptFile.ts` uses globby).
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
  const matcher = globToRegExp(pattern);
  const matches = listFiles(appRoot)
    .filter((file) => matcher.test(file))
    .sort();
  if (matches.length === 0)
    throw new Error(`No files match the package.json "main" pattern "${main}" in ${appRoot}`);
  return matches.map((file) => path.resolve(appRoot, file));
}
