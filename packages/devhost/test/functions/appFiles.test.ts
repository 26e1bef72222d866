import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyAppSettings, readAppSettings } from '../../src/functions/appSettings';
import { globToRegExp, resolveEntryPoints } from '../../src/functions/entryPoints';

function tempApp(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'devhost-app-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
  return root;
}

describe('readAppSettings', () => {
  it('reads Values of local.settings.json, stringifying non-strings', () => {
    const root = tempApp({ 'local.settings.json': JSON.stringify({ Values: { A: 'a', N: 5, Z: null } }) });
    expect(readAppSettings(root)).toEqual({
      file: path.join(root, 'local.settings.json'),
      values: { A: 'a', N: '5' },
    });
  });

  it('falls back to the sample only when asked and the real file is missing', () => {
    const root = tempApp({ 'local.settings.json.sample': JSON.stringify({ Values: { FROM: 'sample' } }) });
    expect(readAppSettings(root)).toEqual({ file: undefined, values: {} });
    expect(readAppSettings(root, { fallbackToSample: true }).values).toEqual({ FROM: 'sample' });
  });

  it('names a file that is not JSON or whose Values is not an object', () => {
    const broken = tempApp({ 'local.settings.json': '{ "Values": ' });
    expect(() => readAppSettings(broken)).toThrow(
      `${path.join(broken, 'local.settings.json')} is not valid JSON`,
    );
    const wrong = tempApp({ 'local.settings.json': '{ "Values": [1] }' });
    expect(() => readAppSettings(wrong)).toThrow('"Values" must be an object of strings');
  });

  it('never overrides variables already in the environment', () => {
    const env: NodeJS.ProcessEnv = { KEEP: 'from-env' };
    applyAppSettings({ KEEP: 'from-file', ADD: 'added' }, env);
    expect(env).toEqual({ KEEP: 'from-env', ADD: 'added' });
  });
});

describe('resolveEntryPoints', () => {
  it('resolves a plain main path relative to the app root', () => {
    const root = tempApp({ 'package.json': '{"main":"./dist/index.js"}', 'dist/index.js': '' });
    expect(resolveEntryPoints(root)).toEqual([path.join(root, 'dist/index.js')]);
  });

  it('expands a glob in sorted order, outside node_modules', () => {
    const root = tempApp({
      'package.json': '{"main":"dist/functions/*.js"}',
      'dist/functions/b.js': '',
      'dist/functions/a.js': '',
      'dist/functions/a.js.map': '',
      'node_modules/x/dist/functions/c.js': '',
    });
    expect(resolveEntryPoints(root).map((file) => path.relative(root, file))).toEqual([
      'dist/functions/a.js',
      'dist/functions/b.js',
    ]);
  });

  it('says what is missing: the built entry point or any match', () => {
    const unbuilt = tempApp({ 'package.json': '{"main":"dist/src/index.js"}' });
    expect(() => resolveEntryPoints(unbuilt)).toThrow(
      'The entry point "dist/src/index.js" (package.json "main") does not exist',
    );
    const noMatch = tempApp({ 'package.json': '{"main":"lib/*.js"}' });
    expect(() => resolveEntryPoints(noMatch)).toThrow(
      'No files match the package.json "main" pattern "lib/*.js"',
    );
  });
});

describe('globToRegExp', () => {
  it("matches like the worker's globby for the patterns package.json main uses", () => {
    const cases: Array<[string, string, boolean]> = [
      ['dist/*.js', 'dist/a.js', true],
      ['dist/*.js', 'dist/sub/a.js', false],
      ['dist/**/*.js', 'dist/a.js', true],
      ['dist/**/*.js', 'dist/x/y/a.js', true],
      ['dist/**/*.js', 'dist/x/a.ts', false],
      ['dist/{a,b}.js', 'dist/b.js', true],
      ['dist/{a,b}.js', 'dist/c.js', false],
      ['dist/[ab]?.js', 'dist/a1.js', true],
      ['dist/[!ab].js', 'dist/a.js', false],
      ['dist/a+b.js', 'dist/a+b.js', true],
      ['dist/a.js', 'dist/aXjs', false],
    ];
    for (const [glob, file, expected] of cases)
      expect([glob, file, globToRegExp(glob).test(file)]).toEqual([glob, file, expected]);
  });
});
