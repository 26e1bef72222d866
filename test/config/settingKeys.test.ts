import { describe, expect, it } from 'vitest';
import { loadSettings, MAX_DECODE_MEMORY_BUDGET_MB } from '../../src/config/settings';
import { APP_SETTING_KEYS, nearMissOf } from '../../src/config/settingKeys';

/** The keys `loadSettings` reads from `env`, recorded through a proxy. */
function keysRead(env: Record<string, string>): Set<string> {
  const read = new Set<string>();
  loadSettings(
    new Proxy(env, {
      get(target, key) {
        if (typeof key === 'string') read.add(key);
        return target[key as string];
      },
    }),
  );
  return read;
}

const local = {
  IMAGES_STORAGE: 'UseDevelopmentStorage=true',
  COSMOS__accountEndpoint: 'https://127.0.0.1:8081',
  COSMOS__key: 'emulator-key',
};

describe('settings: a key that is almost a known setting fails start-up', () => {
  it.each([
    ['DECODE_MEMORY_BUDGET_MD', 'DECODE_MEMORY_BUDGET_MB'],
    ['decode_memory_budget_mb', 'DECODE_MEMORY_BUDGET_MB'],
    ['MAX_SOURCE_PIXEL', 'MAX_SOURCE_PIXELS'],
    ['Cosmos__AccountEndpoint', 'COSMOS__accountEndpoint'],
    ['IMAGES_STORAGE__blobServiceURL', 'IMAGES_STORAGE__blobServiceUri'],
    ['COSMOS__endpoint', 'COSMOS__accountEndpoint'],
  ])('%s → refused, naming %s', (key, meant) => {
    expect(nearMissOf(key)).toBe(meant);
    expect(() => loadSettings({ ...local, [key]: '600' })).toThrow(
      `Expected no setting of this name (did you mean ${meant}? Settings are case-sensitive; rename or remove it) for ${key} but received a value for an unknown setting "${key}"`,
    );
  });

  it('a key in an app section is refused however far from a known one (IMAGES_STORAGE__accountName)', () => {
    expect(nearMissOf('IMAGES_STORAGE__accountName')).toMatch(/^IMAGES_STORAGE__/);
    expect(() => loadSettings({ ...local, IMAGES_STORAGE__accountName: 'x' })).toThrow(
      /for IMAGES_STORAGE__accountName but received/,
    );
  });

  it('the shared namespace: known keys, platform and unrelated variables pass', () => {
    for (const key of ['PROCESSED_CONTAINER', 'UNPROCESSED_CONTAINER', 'DECODE_MEMORY_BUDGET_MB']) {
      expect(nearMissOf(key)).toBeUndefined();
    }
    for (const key of [
      'PATH',
      'HOME',
      'WEBSITE_SITE_NAME',
      'AzureWebJobsStorage',
      'FUNCTIONS_WORKER_RUNTIME',
    ]) {
      expect(nearMissOf(key)).toBeUndefined();
    }
    expect(
      loadSettings({ ...local, PATH: '/usr/bin', AzureWebJobsStorage: 'UseDevelopmentStorage=true' })
        .maxSourcePixels,
    ).toBe(50_000_000);
  });
});

describe('APP_SETTING_KEYS is the list of what loadSettings reads', () => {
  it('every key read, on the emulator and the identity paths, is listed (WEBSITE_HOSTNAME is set by the platform)', () => {
    const identity = {
      IMAGES_STORAGE__blobServiceUri: 'https://stimages.blob.core.windows.net',
      IMAGES_STORAGE__credential: 'managedidentity',
      DERIVATIVES_STORAGE__blobServiceUri: 'https://stderiv.blob.core.windows.net',
      COSMOS__accountEndpoint: 'https://cosmos-images.documents.azure.com:443/',
      COSMOS__credential: 'managedidentity',
    };
    const read = new Set([...keysRead(local), ...keysRead(identity)]);
    const unlisted = [...read].filter((key) => !APP_SETTING_KEYS.includes(key) && key !== 'WEBSITE_HOSTNAME');
    expect(unlisted).toEqual([]);
    expect(read.size).toBeGreaterThan(20);
  });
});

describe('DECODE_MEMORY_BUDGET_MB has an upper bound', () => {
  it('9000000000 is refused with the key and the range named, not a RangeError at module load', () => {
    expect(() => loadSettings({ ...local, DECODE_MEMORY_BUDGET_MB: '9000000000' })).toThrow(
      `Expected a whole number of MiB from 525 (one HEIC decode of MAX_SOURCE_PIXELS = 50000000 at 11 bytes per pixel) to ${MAX_DECODE_MEMORY_BUDGET_MB} (the memory of the largest Functions instance) for DECODE_MEMORY_BUDGET_MB but received "9000000000"`,
    );
  });

  it('the bound itself is accepted (256 GiB)', () => {
    expect(MAX_DECODE_MEMORY_BUDGET_MB).toBe(262_144);
    expect(loadSettings({ ...local, DECODE_MEMORY_BUDGET_MB: '262144' }).decodeMemoryBudgetMb).toBe(262_144);
    expect(() => loadSettings({ ...local, DECODE_MEMORY_BUDGET_MB: '262145' })).toThrow(
      /DECODE_MEMORY_BUDGET_MB/,
    );
  });
});
