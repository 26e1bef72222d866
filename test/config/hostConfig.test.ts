import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ACTIVITY_CONCURRENCY_SETTING,
  findAppRoot,
  readDurableHostConfig,
} from '../../src/config/hostConfig';

const SETTING = 'AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions';
const apps: string[] = [];

function appWithHostJson(content: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'host-config-'));
  apps.push(dir);
  if (content !== undefined) writeFileSync(join(dir, 'host.json'), content);
  return dir;
}

const hostJson = (value: unknown): string =>
  JSON.stringify({ version: '2.0', extensions: { durableTask: { maxConcurrentActivityFunctions: value } } });

/** maxConcurrentActivityFunctions as read for a machine with 2 processors. */
const activities = (appRoot: string, env: Record<string, string>): number =>
  readDurableHostConfig(appRoot, env, 2).maxConcurrentActivityFunctions;

afterAll(() => apps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('readDurableHostConfig', () => {
  it('names the app setting Azure uses to override host.json', () => {
    expect(ACTIVITY_CONCURRENCY_SETTING).toBe(SETTING);
  });

  it("reads this repository's host.json, found from the sources", () => {
    expect(findAppRoot()).toBe(resolve(__dirname, '../..'));
    expect(readDurableHostConfig(findAppRoot(), {})).toEqual({
      hubName: 'ImageDerivatives',
      maxConcurrentActivityFunctions: 4,
    });
  });

  it('reads extensions.durableTask.maxConcurrentActivityFunctions from host.json', () => {
    expect(activities(appWithHostJson(hostJson(7)), {})).toBe(7);
  });

  it('lets the app setting override host.json, matching the name case-insensitively', () => {
    const app = appWithHostJson(hostJson(7));
    expect(activities(app, { [SETTING]: '2' })).toBe(2);
    expect(activities(app, { [SETTING.toUpperCase()]: '3' })).toBe(3);
    expect(activities(app, { [SETTING]: '  ' })).toBe(7);
  });

  it('defaults as the extension does when nothing sets it: 10 per processor, hub TestHubName', () => {
    expect(readDurableHostConfig(appWithHostJson(undefined), {}, 2)).toEqual({
      hubName: 'TestHubName',
      maxConcurrentActivityFunctions: 20,
    });
    expect(activities(appWithHostJson('{"version":"2.0"}'), {})).toBe(20);
  });

  it('lets the app setting override the hub name', () => {
    const app = appWithHostJson(JSON.stringify({ extensions: { durableTask: { hubName: 'FromJson' } } }));
    expect(readDurableHostConfig(app, {}, 1).hubName).toBe('FromJson');
    const env = { AzureFunctionsJobHost__extensions__durableTask__hubName: 'FromSetting' };
    expect(readDurableHostConfig(app, env, 1).hubName).toBe('FromSetting');
  });

  it('rejects invalid values with the setting named', () => {
    expect(() => activities(appWithHostJson(hostJson(4)), { [SETTING]: 'four' })).toThrow(
      `Expected a positive integer for ${SETTING} but received "four"`,
    );
    expect(() => activities(appWithHostJson(hostJson(4)), { [SETTING]: '0' })).toThrow(
      `Expected a positive integer for ${SETTING} but received "0"`,
    );
    expect(() => activities(appWithHostJson(hostJson(2.5)), {})).toThrow(
      'Expected a positive integer for host.json extensions.durableTask.maxConcurrentActivityFunctions but received 2.5',
    );
    expect(() => activities(appWithHostJson(hostJson(-1)), {})).toThrow(
      'Expected a positive integer for host.json extensions.durableTask.maxConcurrentActivityFunctions but received -1',
    );
    const broken = appWithHostJson('{ "version": ');
    expect(() => activities(broken, {})).toThrow(
      `Expected valid JSON for ${join(broken, 'host.json')} but received "{ \\"version\\": "`,
    );
  });
});
