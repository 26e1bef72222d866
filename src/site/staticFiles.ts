import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_WORDS } from '../domain/errorWords';
import { INVISIBLE_PATTERN } from '../domain/visibleText';

/** One file the site serves. */
export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** Strong ETag of the bytes (quoted). */
  eTag: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * The folder holding `index.html`: `site/` at the package root, found from this module both when it runs from
 * `src/` (tests) and from `dist/src/` (the host and the deployment package).
 */
export function findSiteRoot(start: string = __dirname): string {
  let dir = start;
  for (let level = 0; level < 5; level++) {
    const candidate = path.join(dir, 'site');
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`No site/index.html above ${start}: the package must ship the site/ folder`);
}

function file(body: Buffer, name: string): StaticFile {
  return {
    body,
    contentType: CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
    eTag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

/**
 * `text.js` for the pages: the server's own character set (src/domain/visibleText.ts), so the page and the
 * API strip exactly the same characters from names they show.
 */
export function textModule(): string {
  return [
    '// Generated from src/domain/visibleText.ts by the app: names shown without controls or bidi overrides.',
    `export const INVISIBLE_PATTERN = new RegExp(${JSON.stringify(INVISIBLE_PATTERN.source)}, 'gu');`,
    '/** @param {string} text */',
    "export function visibleText(text) { return text.normalize('NFC').replace(INVISIBLE_PATTERN, ''); }",
    '',
  ].join('\n');
}

/** `errors.js` for the pages: the one error vocabulary (src/domain/errorWords.ts). */
export function errorsModule(): string {
  return [
    '// Generated from src/domain/errorWords.ts by the app: what each document error code means, in words.',
    `export const ERROR_WORDS = Object.freeze(${JSON.stringify(ERROR_WORDS, null, 2)});`,
    '/** @param {string} code */',
    'export function errorInWords(code) {',
    '  return Object.hasOwn(ERROR_WORDS, code) ? ERROR_WORDS[code] : `The image could not be processed (${code}).`;',
    '}',
    '',
  ].join('\n');
}

/**
 * Every servable file by URL path: the flat `site/` folder (known extensions only) plus
 * `vendor/thumbhash.js`, the `thumbhash` package's ES module, for the placeholder, and the generated `text.js` and `errors.js`. A fixed map, read once:
 * a request can only name one of these, so no URL reaches any other file (no `..`, no symlinks).
 */
export function loadStaticFiles(siteRoot: string = findSiteRoot()): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const entry of readdirSync(siteRoot, { withFileTypes: true })) {
    if (!entry.isFile() || CONTENT_TYPES[path.extname(entry.name)] === undefined) continue;
    files.set(entry.name, file(readFileSync(path.join(siteRoot, entry.name)), entry.name));
  }
  files.set('vendor/thumbhash.js', file(readFileSync(require.resolve('thumbhash')), 'thumbhash.js'));
  files.set('text.js', file(Buffer.from(textModule()), 'text.js'));
  files.set('errors.js', file(Buffer.from(errorsModule()), 'errors.js'));
  return files;
}
