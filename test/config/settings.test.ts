import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings';

const local = {
  IMAGES_STORAGE: 'UseDevelopmentStorage=true',
  COSMOS__accountEndpoint: 'https://127.0.0.1:8081',
  COSMOS__key: 'emulator-key',
};

const azure = {
  IMAGES_STORAGE__blobServiceUri: 'https://stimages.blob.core.windows.net',
  IMAGES_STORAGE__credential: 'managedidentity',
  IMAGES_STORAGE__clientId: '00000000-0000-0000-0000-000000000001',
  COSMOS__accountEndpoint: 'https://cosmos-images.documents.azure.com:443/',
  COSMOS__credential: 'managedidentity',
  COSMOS__clientId: '00000000-0000-0000-0000-000000000001',
};

describe('loadSettings', () => {
  it('reads the local (emulator) form with defaults', () => {
    const settings = loadSettings(local);
    expect(settings.images).toEqual({
      kind: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
      accountName: 'devstoreaccount1',
    });
    expect(settings.cosmos).toEqual({
      endpoint: 'https://127.0.0.1:8081',
      auth: { kind: 'key', key: 'emulator-key' },
      database: 'MediaCorp',
      container: 'Images',
    });
    expect(settings.unprocessedContainer).toBe('images-unprocessed');
    expect(settings.processedContainer).toBe('images-processed');
    expect(settings.sizes.map((s) => `${s.label}:${s.width}x${s.height}`)).toEqual([
      'thumb:150x150',
      'medium:640x640',
      'large:1280x1280',
    ]);
    expect(settings.maxSourceBytes).toBe(52_428_800);
    expect(settings.maxSourcePixels).toBe(50_000_000);
    expect(settings.replacedDerivativesGraceSeconds).toBe(900);
    expect(
      loadSettings({ ...local, REPLACED_DERIVATIVES_GRACE_SECONDS: ' 0 ' }).replacedDerivativesGraceSeconds,
    ).toBe(0);
  });

  it('reads the identity-based Azure form and never needs a key', () => {
    const settings = loadSettings(azure);
    expect(settings.images).toEqual({
      kind: 'identity',
      serviceUri: 'https://stimages.blob.core.windows.net',
      accountName: 'stimages',
      credential: { managedIdentity: true, clientId: '00000000-0000-0000-0000-000000000001' },
    });
    expect(settings.cosmos.auth).toEqual({
      kind: 'identity',
      credential: { managedIdentity: true, clientId: '00000000-0000-0000-0000-000000000001' },
    });
    expect(settings.cosmos.endpoint).toBe('https://cosmos-images.documents.azure.com:443');
  });

  it('takes the account name of an emulator service URI from its path', () => {
    const settings = loadSettings({
      ...azure,
      IMAGES_STORAGE__blobServiceUri: 'http://127.0.0.1:10000/devstoreaccount1',
    });
    expect(settings.images.accountName).toBe('devstoreaccount1');
  });

  it.each([
    [
      { ...local, IMAGES_STORAGE: undefined },
      'Expected a blob service URI (or IMAGES_STORAGE as a connection string for emulators) for IMAGES_STORAGE__blobServiceUri but received nothing (the setting is missing)',
    ],
    [
      { ...local, IMAGES_STORAGE: 'DefaultEndpointsProtocol=https' },
      'Expected a storage connection string with AccountName for IMAGES_STORAGE but received "DefaultEndpointsProtocol=https"',
    ],
    [
      { ...local, COSMOS__accountEndpoint: undefined },
      'Expected an http(s) URL for COSMOS__accountEndpoint but received nothing (the setting is missing)',
    ],
    [
      { ...local, COSMOS__accountEndpoint: 'not a url' },
      'Expected an http(s) URL for COSMOS__accountEndpoint but received "not a url"',
    ],
    [
      { ...azure, COSMOS__credential: 'connectionstring' },
      'Expected "managedidentity" or nothing for COSMOS__credential but received "connectionstring"',
    ],
    [
      { ...local, MAX_SOURCE_BYTES: '-5' },
      'Expected an integer between 1 and 5242880000 for MAX_SOURCE_BYTES but received "-5"',
    ],
    [
      // One Put Blob is the only upload a create-only SAS allows, and 5000 MiB is its limit.
      { ...local, MAX_SOURCE_BYTES: '5242880001' },
      'Expected an integer between 1 and 5242880000 for MAX_SOURCE_BYTES but received "5242880001"',
    ],
    [
      { ...local, MAX_SOURCE_PIXELS: '1e6' },
      'Expected a positive integer for MAX_SOURCE_PIXELS but received "1e6"',
    ],
    [
      { ...local, REPLACED_DERIVATIVES_GRACE_SECONDS: '-1' },
      'Expected a whole number of seconds from 0 to 604800 for REPLACED_DERIVATIVES_GRACE_SECONDS but received "-1"',
    ],
    [
      { ...local, REPLACED_DERIVATIVES_GRACE_SECONDS: '15m' },
      'Expected a whole number of seconds from 0 to 604800 for REPLACED_DERIVATIVES_GRACE_SECONDS but received "15m"',
    ],
    [
      { ...local, PROCESSED_CONTAINER: 'Images_Processed' },
      'Expected a valid blob container name for PROCESSED_CONTAINER but received "Images_Processed"',
    ],
    [
      { ...local, IMAGE_SIZES: '[{"label":"a","width":150},{"label":"b","width":300,"fit":"square"}]' },
      'Expected "inside" or "cover" for IMAGE_SIZES[1].fit but received "square"',
    ],
  ])('rejects a bad setting with a message naming it (%#)', (env, message) => {
    expect(() => loadSettings(env)).toThrow(message);
  });

  describe('keys are for emulators only (docs/design.md)', () => {
    const SECRET = 'c2VjcmV0LWtleS1vZi1hLXJlYWwtYWNjb3VudA==';
    const azurite = (blob: string, queue = 'http://127.0.0.1:10001/devstoreaccount1'): string =>
      `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${SECRET};BlobEndpoint=${blob};QueueEndpoint=${queue}`;
    const STORAGE_EXPECTED =
      'Expected UseDevelopmentStorage=true or a connection string to loopback endpoints only (127.0.0.0/8, localhost, [::1]: keys are for emulators; Azure uses IMAGES_STORAGE__blobServiceUri and an identity) for IMAGES_STORAGE but received ';
    const COSMOS_EXPECTED =
      'Expected no key unless COSMOS__accountEndpoint is loopback (127.0.0.0/8, localhost, [::1]: keys are for emulators; Azure uses COSMOS__credential and an identity) for COSMOS__key but received ';

    function settingError(env: Record<string, string | undefined>): Error {
      try {
        loadSettings(env);
      } catch (error) {
        if (error instanceof Error) return error;
      }
      throw new Error('expected loadSettings to throw');
    }

    it.each([
      'http://127.0.0.1:10000/devstoreaccount1',
      'http://127.8.9.10:10000/devstoreaccount1',
      'http://localhost:10000/devstoreaccount1',
      'http://[::1]:10000/devstoreaccount1',
    ])('accepts an emulator connection string with a key whose endpoints are loopback: %s', (blob) => {
      const settings = loadSettings({ ...local, IMAGES_STORAGE: azurite(blob) });
      expect(settings.images).toMatchObject({ kind: 'connectionString', accountName: 'devstoreaccount1' });
    });

    it.each([
      [
        'a real account (no endpoints: the SDK would use its Azure endpoint)',
        `DefaultEndpointsProtocol=https;AccountName=stimages;AccountKey=${SECRET};EndpointSuffix=core.windows.net`,
        'a connection string for account "stimages" with no BlobEndpoint (its Azure endpoint)',
      ],
      [
        'a remote BlobEndpoint',
        azurite('https://stimages.blob.core.windows.net'),
        'a connection string with BlobEndpoint "https://stimages.blob.core.windows.net"',
      ],
      [
        'a loopback-looking name on another host',
        azurite('http://127.0.0.1.nip.io:10000/devstoreaccount1'),
        'a connection string with BlobEndpoint "http://127.0.0.1.nip.io:10000/devstoreaccount1"',
      ],
      [
        'one remote endpoint among loopback ones',
        azurite('http://127.0.0.1:10000/devstoreaccount1', 'https://stimages.queue.core.windows.net'),
        'a connection string with QueueEndpoint "https://stimages.queue.core.windows.net"',
      ],
      [
        'development storage through a remote proxy',
        'UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://proxy.example.com',
        'a connection string with DevelopmentStorageProxyUri "http://proxy.example.com"',
      ],
    ])('rejects IMAGES_STORAGE with %s, without echoing the key', (_case, connectionString, received) => {
      const error = settingError({ ...local, IMAGES_STORAGE: connectionString });
      expect(error.message).toBe(`${STORAGE_EXPECTED}${received}`);
      expect(error.message).not.toContain(SECRET);
    });

    it('redacts the key when IMAGES_STORAGE lacks an AccountName', () => {
      const error = settingError({ ...local, IMAGES_STORAGE: `AccountKey=${SECRET}` });
      expect(error.message).toBe(
        'Expected a storage connection string with AccountName for IMAGES_STORAGE but received "AccountKey=<redacted>"',
      );
    });

    it.each([
      'https://127.0.0.1:8081',
      'https://127.0.0.53:8081',
      'https://localhost:8081',
      'https://[::1]:8081',
    ])('accepts COSMOS__key with the loopback endpoint %s', (endpoint) => {
      const settings = loadSettings({ ...local, COSMOS__accountEndpoint: endpoint, COSMOS__key: SECRET });
      expect(settings.cosmos.auth).toEqual({ kind: 'key', key: SECRET });
    });

    it.each([
      'https://cosmos-images.documents.azure.com:443/',
      'https://127.0.0.1.nip.io:8081',
      'https://10.0.0.4:8081',
    ])('rejects COSMOS__key with the endpoint %s, without echoing the key', (endpoint) => {
      const error = settingError({ ...local, COSMOS__accountEndpoint: endpoint, COSMOS__key: SECRET });
      expect(error.message).toBe(
        `${COSMOS_EXPECTED}a key (not shown) with COSMOS__accountEndpoint ${JSON.stringify(endpoint.replace(/\/+$/, ''))}`,
      );
      expect(error.message).not.toContain(SECRET);
    });
  });

  it('accepts a custom size plan', () => {
    const settings = loadSettings({
      ...local,
      IMAGE_SIZES: '[{"label":"square-2k","width":2048,"height":2048}]',
    });
    expect(settings.sizes).toEqual([
      {
        label: 'square-2k',
        width: 2048,
        height: 2048,
        fit: 'inside',
        formats: ['source'],
      },
    ]);
  });

  describe('re-drive and retired sizes', () => {
    it('defaults to re-drives after 5, 15 and 40 minutes and no retired labels', () => {
      const settings = loadSettings(local);
      expect(settings.redriveDelaysSeconds).toEqual([300, 900, 2400]);
      expect(settings.retiredSizes).toEqual([]);
    });

    it('reads REDRIVE_DELAYS_SECONDS and RETIRED_SIZES', () => {
      const settings = loadSettings({
        ...local,
        REDRIVE_DELAYS_SECONDS: ' 5, 30 ,120',
        RETIRED_SIZES: 'xl, tiny-2',
      });
      expect(settings.redriveDelaysSeconds).toEqual([5, 30, 120]);
      expect(settings.retiredSizes).toEqual(['xl', 'tiny-2']);
    });

    it.each([
      ['zero', '0'],
      ['a fraction', '1.5'],
      ['a negative', '-5'],
      ['an empty entry', '5,,10'],
      ['more than a week', '604801'],
      ['more than 10 rounds', '1,1,1,1,1,1,1,1,1,1,1'],
      ['words', 'five minutes'],
    ])('refuses REDRIVE_DELAYS_SECONDS with %s', (_case, value) => {
      expect(() => loadSettings({ ...local, REDRIVE_DELAYS_SECONDS: value })).toThrow(
        `Expected a comma-separated list of 1-10 whole seconds, each 1-604800 for REDRIVE_DELAYS_SECONDS but received ${JSON.stringify(value)}`,
      );
    });

    it.each([
      [
        'an upper-case label',
        'XL',
        'Expected a lower-case slug of 1-32 characters for RETIRED_SIZES[0] but received "XL"',
      ],
      [
        'an empty entry',
        'xl,',
        'Expected a lower-case slug of 1-32 characters for RETIRED_SIZES[1] but received ""',
      ],
      ['a label twice', 'xl,xl', 'Expected a label listed once for RETIRED_SIZES[1] but received "xl"'],
      [
        'a label still planned',
        'medium',
        'Expected a label that is not also in IMAGE_SIZES for RETIRED_SIZES[0] but received "medium"',
      ],
    ])('refuses RETIRED_SIZES with %s', (_case, value, message) => {
      expect(() => loadSettings({ ...local, RETIRED_SIZES: value })).toThrow(message);
    });
  });
});
