import { describe, expect, it } from 'vitest';
import { loadSettings, type Env } from '../../src/config/settings';

const local = {
  IMAGES_STORAGE: 'UseDevelopmentStorage=true',
  COSMOS__accountEndpoint: 'https://127.0.0.1:8081',
  COSMOS__key: 'emulator-key',
};

const azure = {
  IMAGES_STORAGE__blobServiceUri: 'https://stimg.blob.core.windows.net',
  IMAGES_STORAGE__credential: 'managedidentity',
  IMAGES_STORAGE__clientId: '00000000-0000-0000-0000-000000000001',
  COSMOS__accountEndpoint: 'https://cosmos-images.documents.azure.com:443/',
  COSMOS__credential: 'managedidentity',
  COSMOS__clientId: '00000000-0000-0000-0000-000000000001',
};

const SECRET = 'c2VjcmV0LWtleS1vZi1hLXJlYWwtYWNjb3VudA==';

function settingError(env: Env): Error {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected loadSettings to throw');
}

describe('DERIVATIVES_STORAGE: the derivatives account', () => {
  it('is the images account when none of its settings is present (local emulators)', () => {
    const settings = loadSettings(local);
    expect(settings.derivatives).toEqual(settings.images);
    expect(loadSettings(azure).derivatives).toEqual(loadSettings(azure).images);
  });

  it('reads the identity form apart from the images account', () => {
    const settings = loadSettings({
      ...azure,
      DERIVATIVES_STORAGE__blobServiceUri: 'https://stdrv.blob.core.windows.net/',
      DERIVATIVES_STORAGE__credential: 'managedidentity',
      DERIVATIVES_STORAGE__clientId: '00000000-0000-0000-0000-000000000002',
    });
    expect(settings.derivatives).toEqual({
      kind: 'identity',
      serviceUri: 'https://stdrv.blob.core.windows.net',
      accountName: 'stdrv',
      credential: { managedIdentity: true, clientId: '00000000-0000-0000-0000-000000000002' },
    });
    expect(settings.images).toMatchObject({ accountName: 'stimg' });
  });

  it('reads an emulator connection string for a second local account', () => {
    const connectionString =
      'DefaultEndpointsProtocol=http;AccountName=derivatives1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/derivatives1';
    const settings = loadSettings({ ...local, DERIVATIVES_STORAGE: connectionString });
    expect(settings.derivatives).toEqual({
      kind: 'connectionString',
      connectionString,
      accountName: 'derivatives1',
    });
    expect(settings.images).toMatchObject({ accountName: 'devstoreaccount1' });
  });

  it.each([
    [
      'a key for a real account',
      { DERIVATIVES_STORAGE: `AccountName=stdrv;AccountKey=${SECRET};EndpointSuffix=core.windows.net` },
      'Expected UseDevelopmentStorage=true or a connection string to loopback endpoints only (127.0.0.0/8, localhost, [::1]: keys are for emulators; Azure uses DERIVATIVES_STORAGE__blobServiceUri and an identity) for DERIVATIVES_STORAGE but received a connection string for account "stdrv" with no BlobEndpoint (its Azure endpoint)',
    ],
    [
      'a connection string without AccountName',
      { DERIVATIVES_STORAGE: `AccountKey=${SECRET}` },
      'Expected a storage connection string with AccountName for DERIVATIVES_STORAGE but received "AccountKey=<redacted>"',
    ],
    [
      'a credential but no service URI',
      { DERIVATIVES_STORAGE__credential: 'managedidentity' },
      'Expected a blob service URI (or DERIVATIVES_STORAGE as a connection string for emulators) for DERIVATIVES_STORAGE__blobServiceUri but received nothing (the setting is missing)',
    ],
    [
      'a service URI that is not http(s)',
      { DERIVATIVES_STORAGE__blobServiceUri: 'ftp://stdrv.blob.core.windows.net' },
      'Expected an http(s) URL for DERIVATIVES_STORAGE__blobServiceUri but received "ftp://stdrv.blob.core.windows.net"',
    ],
    [
      'an unknown credential kind',
      {
        DERIVATIVES_STORAGE__blobServiceUri: 'https://stdrv.blob.core.windows.net',
        DERIVATIVES_STORAGE__credential: 'clientsecret',
      },
      'Expected "managedidentity" or nothing for DERIVATIVES_STORAGE__credential but received "clientsecret"',
    ],
  ])('rejects %s, naming the setting and never the key', (_case, overrides, message) => {
    const error = settingError({ ...azure, ...overrides });
    expect(error.message).toBe(message);
    expect(error.message).not.toContain(SECRET);
  });
});

describe('DERIVATIVE_BASE_URL: the prefix of variant URLs', () => {
  it('is undefined when unset or blank (the blobs’ own URLs)', () => {
    expect(loadSettings(local).site.derivativeBaseUrl).toBeUndefined();
    expect(loadSettings({ ...local, DERIVATIVE_BASE_URL: '  ' }).site.derivativeBaseUrl).toBeUndefined();
  });

  it.each([
    'https://fde-abc.z01.azurefd.net/images-processed',
    'https://stdrv.blob.core.windows.net/images-processed',
    'https://cdn.example.com',
    'http://127.0.0.1:10000/devstoreaccount1/images-processed',
    'http://localhost:7071/derivatives',
    'http://[::1]:10000/devstoreaccount1/images-processed',
  ])('accepts %s as is', (value) => {
    expect(loadSettings({ ...azure, DERIVATIVE_BASE_URL: value }).site.derivativeBaseUrl).toBe(value);
  });

  it('drops trailing slashes, so `url` never has a double slash', () => {
    expect(
      loadSettings({ ...azure, DERIVATIVE_BASE_URL: 'https://fde-abc.z01.azurefd.net/images-processed/' })
        .site.derivativeBaseUrl,
    ).toBe('https://fde-abc.z01.azurefd.net/images-processed');
  });

  const SCHEME =
    'Expected an https URL (http only for 127.0.0.0/8, localhost, [::1]) for DERIVATIVE_BASE_URL';
  const EXTRA = 'Expected an http(s) URL without query, fragment or user info for DERIVATIVE_BASE_URL';
  const UNPARSABLE = 'Expected an http(s) URL for DERIVATIVE_BASE_URL';

  it.each([
    ['http on a public host', 'http://fde-abc.z01.azurefd.net/images-processed', SCHEME],
    ['http on a loopback-looking public name', 'http://127.0.0.1.nip.io/images-processed', SCHEME],
    ['another scheme', 'ftp://cdn.example.com/images-processed', SCHEME],
    ['a query (a SAS)', 'https://stdrv.blob.core.windows.net/images-processed?sv=2024&sig=abc', EXTRA],
    ['an empty query', 'https://stdrv.blob.core.windows.net/images-processed?', EXTRA],
    ['a fragment', 'https://cdn.example.com/images-processed#x', EXTRA],
    ['user info', 'https://user:pass@cdn.example.com/images-processed', EXTRA],
    ['a relative path', '/images-processed', UNPARSABLE],
    ['no scheme', 'fde-abc.z01.azurefd.net/images-processed', UNPARSABLE],
  ])('rejects %s', (_case, value, expected) => {
    expect(settingError({ ...azure, DERIVATIVE_BASE_URL: value }).message).toBe(
      `${expected} but received ${JSON.stringify(value)}`,
    );
  });
});

describe('SCRATCH_CONTAINER: the decode-once intermediates on the images account', () => {
  it('defaults to images-scratch and reads a custom name', () => {
    expect(loadSettings(local).scratchContainer).toBe('images-scratch');
    expect(loadSettings({ ...local, SCRATCH_CONTAINER: 'tmp-decoded' }).scratchContainer).toBe('tmp-decoded');
  });

  it.each([
    [
      'an invalid container name',
      { SCRATCH_CONTAINER: 'Images_Scratch' },
      'Expected a valid blob container name for SCRATCH_CONTAINER but received "Images_Scratch"',
    ],
    [
      'the sources container (its blobs would raise BlobCreated events)',
      { SCRATCH_CONTAINER: 'images-unprocessed' },
      'Expected a container other than UNPROCESSED_CONTAINER\'s for SCRATCH_CONTAINER but received "images-unprocessed"',
    ],
    [
      'the derivatives container',
      { SCRATCH_CONTAINER: 'cache', PROCESSED_CONTAINER: 'cache' },
      'Expected a container other than PROCESSED_CONTAINER\'s for SCRATCH_CONTAINER but received "cache"',
    ],
  ])('rejects %s', (_case, overrides, message) => {
    expect(settingError({ ...local, ...overrides }).message).toBe(message);
  });
});
