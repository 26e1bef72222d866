import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { activityConcurrencyFromHost, configureSharp } from '../../src/imaging';
import { ACTIVITY_CONCURRENCY_SETTING } from '../../src/imaging/sharpTuning';

const SETTING = 'AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions';
const apps: string[] = [];

function appWithHostJson(content: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'imaging-host-'));
  apps.push(dir);
  if (content !== undefined) writeFileSync(join(dir, 'host.json'), content);
  return dir;
}

const hostJson = (value: unknown): string =>
  JSON.stringify({ version: '2.0', extensions: { durableTask: { maxConcurrentActivityFunctions: value } } });

afterAll(() => apps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('activityConcurrencyFromHost', () => {
  it('names the app setting Azure uses to override host.json', () => {
    expect(ACTIVITY_CONCURRENCY_SETTING).toBe(SETTING);
  });

  it("reads this repository's host.json", () => {
    expect(activityConcurrencyFromHost(resolve(__dirname, '../..'), {})).toBe(4);
  });

  it('reads extensions.durableTask.maxConcurrentActivityFunctions from host.json', () => {
    expect(activityConcurrencyFromHost(appWithHostJson(hostJson(7)), {})).toBe(7);
  });

  it('lets the app setting override host.json, matching the name case-insensitively', () => {
    const app = appWithHostJson(hostJson(7));
    expect(activityConcurrencyFromHost(app, { [SETTING]: '2' })).toBe(2);
    expect(activityConcurrencyFromHost(app, { [SETTING.toUpperCase()]: '3' })).toBe(3);
    expect(activityConcurrencyFromHost(app, { [SETTING]: '  ' })).toBe(7);
  });

  it('defaults to 4 when host.json is absent or does not set it', () => {
    expect(activityConcurrencyFromHost(appWithHostJson(undefined), {})).toBe(4);
    expect(activityConcurrencyFromHost(appWithHostJson('{"version":"2.0"}'), {})).toBe(4);
  });

  it('rejects invalid values with the setting named', () => {
    expect(() => activityConcurrencyFromHost(appWithHostJson(hostJson(4)), { [SETTING]: 'four' })).toThrow(
      `Expected a positive integer for ${SETTING} but received "four"`,
    );
    expect(() => activityConcurrencyFromHost(appWithHostJson(hostJson(4)), { [SETTING]: '0' })).toThrow(
      `Expected a positive integer for ${SETTING} but received "0"`,
    );
    expect(() => activityConcurrencyFromHost(appWithHostJson(hostJson(2.5)), {})).toThrow(
      'Expected a positive integer for host.json extensions.durableTask.maxConcurrentActivityFunctions but received 2.5',
    );
    expect(() => activityConcurrencyFromHost(appWithHostJson(hostJson(-1)), {})).toThrow(
      'Expected a positive integer for host.json extensions.durableTask.maxConcurrentActivityFunctions but received -1',
    );
    const broken = appWithHostJson('{ "version": ');
    expect(() => activityConcurrencyFromHost(broken, {})).toThrow(
      `Expected valid JSON for ${join(broken, 'host.json')} but received "{ \\"version\\": "`,
    );
  });
});

describe('configureSharp', () => {
  const before = { concurrency: sharp.concurrency(), cache: sharp.cache() };
  afterEach(() => {
    sharp.concurrency(before.concurrency);
    sharp.cache({
      memory: before.cache.memory.max,
      files: before.cache.files.max,
      items: before.cache.items.max,
    });
  });

  it.each([
    [2, 4, 1],
    [8, 4, 2],
    [16, 4, 4],
    [8, 1, 8],
    [2, 1, 2],
    [3, 2, 1],
  ])(
    '%i cores, %i activities -> %i libvips threads per image, op cache off',
    (cores, activityConcurrency, threads) => {
      const tuning = configureSharp({ activityConcurrency, cores });
      expect(tuning).toEqual({ threadsPerImage: threads, activityConcurrency, cores });
      expect(sharp.concurrency()).toBe(threads);
      const cache = sharp.cache();
      expect([cache.memory.max, cache.files.max, cache.items.max]).toEqual([0, 0, 0]);
    },
  );

  it('defaults to 4 activities on the cores of this machine', () => {
    expect(configureSharp().activityConcurrency).toBe(4);
  });

  it('rejects a non-positive activity concurrency with its name', () => {
    expect(() => configureSharp({ activityConcurrency: 0 })).toThrow(
      'Expected a positive integer for activityConcurrency but received 0',
    );
  });
});
