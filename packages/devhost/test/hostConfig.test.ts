import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDurableHostConfig } from '../src/hostConfig';

function appWith(hostJson: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'devhost-hostjson-'));
  writeFileSync(path.join(dir, 'host.json'), JSON.stringify(hostJson));
  return dir;
}

const OVERRIDE = 'AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions';

describe('readDurableHostConfig applies host.json as the Functions host does', () => {
  it('an AzureFunctionsJobHost__ app setting wins over host.json (names matched case-insensitively)', () => {
    const appRoot = appWith({
      extensions: { durableTask: { hubName: 'Hub', maxConcurrentActivityFunctions: 4 } },
    });
    expect(
      readDurableHostConfig(appRoot, {
        [OVERRIDE.toLowerCase()]: '1',
        AzureFunctionsJobHost__extensions__durableTask__hubName: 'OtherHub',
      }),
    ).toEqual({ hubName: 'OtherHub', maxConcurrentActivityFunctions: 1 });
  });

  it('without host.json values the default is 10 per processor, as the Durable extension documents', () => {
    expect(readDurableHostConfig(appWith({ version: '2.0' }), {}, 3)).toEqual({
      hubName: 'TestHubName',
      maxConcurrentActivityFunctions: 30,
    });
  });

  it('an invalid override stops the host with a message naming it, rather than being ignored', () => {
    expect(() => readDurableHostConfig(appWith({}), { [OVERRIDE]: 'four' })).toThrow(
      `Expected a positive integer for ${OVERRIDE} but received "four"`,
    );
  });
});
