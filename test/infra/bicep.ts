import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * A small reader for the Bicep templates, enough for drift tests: no Bicep compiler is reachable here,
 * so the tests read resource blocks, object members and declarations as text.
 */

export const repoRoot = join(__dirname, '..', '..');
export const infraDir = join(repoRoot, 'infra');

export function readRepoFile(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

/** Every file under infra/, as repo-relative paths. */
export function infraFiles(dir: string = infraDir): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? infraFiles(path) : [relative(repoRoot, path)];
  });
}

/** The text with `//` and block comments blanked out (strings kept), so braces and keys in comments never count. */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      out += char;
      if (char === '\\') out += text[++i] ?? '';
      else if (char === "'") inString = false;
    } else if (char === "'") {
      inString = true;
      out += char;
    } else if (char === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (char === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 1;
    } else {
      out += char;
    }
  }
  return out;
}

/** Index of the bracket closing the one at `open`, skipping string literals. */
function closingIndex(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === "'") inString = false;
    } else if (char === "'") inString = true;
    else if (char === '{' || char === '[' || char === '(') depth++;
    else if (char === '}' || char === ']' || char === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Error(`Unbalanced bracket at offset ${open}`);
}

export interface ResourceBlock {
  symbol: string;
  type: string;
  apiVersion: string;
  existing: boolean;
  condition: string | undefined;
  /** The text between the resource's outer braces. */
  body: string;
}

const RESOURCE_HEADER =
  /^resource\s+(\w+)\s+'([^'@]+)@([^']+)'\s+(existing\s+)?=\s*(?:if\s*\(([^\n]*?)\)\s*)?(\[[^{]*)?\{/gm;

export function resources(bicep: string): ResourceBlock[] {
  const text = stripComments(bicep);
  return [...text.matchAll(RESOURCE_HEADER)].map((match) => {
    const open = (match.index ?? 0) + match[0].length - 1;
    return {
      symbol: match[1] ?? '',
      type: match[2] ?? '',
      apiVersion: match[3] ?? '',
      existing: match[4] !== undefined,
      condition: match[5],
      body: text.slice(open + 1, closingIndex(text, open)),
    };
  });
}

export function resourcesOfType(bicep: string, type: string): ResourceBlock[] {
  return resources(bicep).filter((resource) => resource.type.toLowerCase() === type.toLowerCase());
}

export function resourceNamed(bicep: string, symbol: string): ResourceBlock {
  const found = resources(bicep).find((resource) => resource.symbol === symbol);
  if (found === undefined) throw new Error(`No resource '${symbol}'`);
  return found;
}

/**
 * The members of an object body at its top level (`key: value`, one per line or comma-separated),
 * with values as trimmed source text. Quoted keys lose their quotes.
 */
export function members(objectBody: string): Map<string, string> {
  const text = stripComments(objectBody);
  const result = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /[\s,]/.test(text[i] ?? '')) i++;
    if (i >= text.length) break;
    const keyMatch = /^(?:'([^']*)'|([A-Za-z_$][\w$]*))\s*:/.exec(text.slice(i));
    if (keyMatch === null) throw new Error(`Cannot read a member at: ${text.slice(i, i + 40)}`);
    const key = keyMatch[1] ?? keyMatch[2] ?? '';
    i += keyMatch[0].length;
    const start = i;
    let inString = false;
    for (; i < text.length; i++) {
      const char = text[i];
      if (inString) {
        if (char === '\\') i++;
        else if (char === "'") inString = false;
      } else if (char === "'") inString = true;
      else if (char === '{' || char === '[' || char === '(') i = closingIndex(text, i);
      else if (char === '\n' || char === ',') break;
    }
    result.set(key, text.slice(start, i).trim());
  }
  return result;
}

export function member(objectBody: string, key: string): string {
  const value = members(objectBody).get(key);
  if (value === undefined) throw new Error(`No member '${key}'`);
  return value;
}

/** The body of a member whose value is an object literal (`key: { ... }`). */
export function objectMember(objectBody: string, key: string): string {
  const value = member(objectBody, key);
  if (!value.startsWith('{') || !value.endsWith('}')) throw new Error(`Member '${key}' is not an object`);
  return value.slice(1, -1);
}

/** Follows a dotted path of object members: `path(body, 'properties', 'filter')`. */
export function objectPath(objectBody: string, ...keys: string[]): string {
  return keys.reduce((body, key) => objectMember(body, key), objectBody);
}

/** The value of a single-quoted literal without interpolation, else undefined. */
export function stringLiteral(value: string): string | undefined {
  const match = /^'((?:[^'\\$]|\\.|\$(?!\{))*)'$/.exec(value.trim());
  return match?.[1];
}

/** Elements of an array literal (`['a', 'b']` or one per line) as source text. */
export function arrayItems(value: string): string[] {
  const trimmed = value.trim();
  if (!trimmed.startsWith('[') || !trimmed.endsWith(']')) throw new Error(`Not an array: ${value}`);
  return splitTopLevel(trimmed.slice(1, -1), /[,\n]/);
}

/** Arguments of a call like `guid(a, b, c)`, split at top-level commas. */
export function callArguments(value: string, fn: string): string[] | undefined {
  const trimmed = value.trim();
  if (!trimmed.startsWith(`${fn}(`) || !trimmed.endsWith(')')) return undefined;
  return splitTopLevel(trimmed.slice(fn.length + 1, -1), /,/);
}

function splitTopLevel(text: string, separator: RegExp): string[] {
  const parts: string[] = [];
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if (inString) {
      if (char === '\\') i++;
      else if (char === "'") inString = false;
    } else if (char === "'") inString = true;
    else if (char === '{' || char === '[' || char === '(') i = closingIndex(text, i);
    else if (separator.test(char)) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

export interface Declaration {
  value: string;
  /** The `//` comment lines directly above the declaration, without the slashes. */
  comment: string[];
}

/** `var name = value` declarations (single-line values). */
export function variables(bicep: string): Map<string, Declaration> {
  return declarations(bicep, /^var\s+(\w+)\s*=\s*(.+)$/);
}

/** `param name type [= default]` declarations; `value` is the default's source text or ''. */
export function parameters(bicep: string): Map<string, Declaration & { type: string }> {
  const result = new Map<string, Declaration & { type: string }>();
  for (const [name, declaration] of declarations(bicep, /^param\s+(\w+)\s+(\w+(?:\[\])?)\s*(?:=\s*(.+))?$/)) {
    const [type, value = ''] = declaration.value.split('\u0000');
    result.set(name, { ...declaration, type: type ?? '', value });
  }
  return result;
}

function declarations(bicep: string, pattern: RegExp): Map<string, Declaration> {
  const lines = bicep.split('\n');
  const result = new Map<string, Declaration>();
  lines.forEach((line, index) => {
    const match = pattern.exec(line.trim());
    if (match === null) return;
    const comment: string[] = [];
    for (let above = index - 1; above >= 0; above--) {
      const previous = (lines[above] ?? '').trim();
      if (!previous.startsWith('//')) break;
      comment.unshift(previous.replace(/^\/\/\s?/, ''));
    }
    const value = match.length > 3 ? `${match[2] ?? ''}\u0000${match[3] ?? ''}` : (match[2] ?? '');
    result.set(match[1] ?? '', { value: value.trim(), comment });
  });
  return result;
}

/** The source text of a `var name = <value>` declaration whose value may span lines (an object or array literal). */
export function variableValue(bicep: string, name: string): string {
  const text = stripComments(bicep);
  const match = new RegExp(`^var\\s+${name}\\s*=\\s*`, 'm').exec(text);
  if (match === null) throw new Error(`No variable '${name}'`);
  const start = match.index + match[0].length;
  const first = text[start];
  if (first === '{' || first === '[') return text.slice(start, closingIndex(text, start) + 1);
  const end = text.indexOf('\n', start);
  return text.slice(start, end === -1 ? text.length : end).trim();
}

/** The members of a `var name = { ... }` object literal. */
export function variableObject(bicep: string, name: string): Map<string, string> {
  const value = variableValue(bicep, name);
  if (!value.startsWith('{')) throw new Error(`Variable '${name}' is not an object`);
  return members(value.slice(1, -1));
}

/** The `params` body of `module <symbol> '<path>' = [if (...)] { ... }` in a template. */
export function moduleParams(bicep: string, symbol: string): string {
  return objectMember(moduleBlock(bicep, symbol).body, 'params');
}

export interface ModuleBlock {
  path: string;
  condition: string | undefined;
  body: string;
}

export function moduleBlock(bicep: string, symbol: string): ModuleBlock {
  const text = stripComments(bicep);
  const match = new RegExp(
    `^module\\s+${symbol}\\s+'([^']+)'\\s*=\\s*(?:if\\s*\\(([^\\n]*?)\\)\\s*)?\\{`,
    'm',
  ).exec(text);
  if (match === null) throw new Error(`No module '${symbol}'`);
  const open = match.index + match[0].length - 1;
  return { path: match[1] ?? '', condition: match[2], body: text.slice(open + 1, closingIndex(text, open)) };
}
