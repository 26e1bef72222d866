import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { createCredential, credentialPlanFor } from '../../src/storage/credential';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import { loadSettings } from '../../src/config/settings';

const azureEnv = {
  IMAGES_STORAGE__blobServiceUri: 'https://stimages.blob.core.windows.net',
  COSMOS__accountEndpoint: 'https://cosmos-images.documents.azure.com:443/',
};

describe('credential', () => {
  it('uses the user-assigned managed identity when __credential=managedidentity with a client id', () => {
    const identity = { managedIdentity: true, clientId: '11111111-2222-3333-4444-555555555555' };
    expect(credentialPlanFor(identity)).toEqual({
      kind: 'managedIdentity',
      clientId: '11111111-2222-3333-4444-555555555555',
    });
    expect(createCredential(identity)).toBeInstanceOf(ManagedIdentityCredential);
  });

  it('uses the system-assigned identity when __credential=managedidentity has no client id', () => {
    const identity = { managedIdentity: true, clientId: undefined };
    expect(credentialPlanFor(identity)).toEqual({ kind: 'managedIdentity', clientId: undefined });
    expect(createCredential(identity)).toBeInstanceOf(ManagedIdentityCredential);
  });

  it('falls back to DefaultAzureCredential, pinning the managed identity client id when given', () => {
    expect(credentialPlanFor({ managedIdentity: false, clientId: 'abc' })).toEqual({
      kind: 'default',
      managedIdentityClientId: 'abc',
    });
    expect(createCredential({ managedIdentity: false, clientId: 'abc' })).toBeInstanceOf(
      DefaultAzureCredential,
    );
    expect(createCredential({ managedIdentity: false, clientId: undefined })).toBeInstanceOf(
      DefaultAzureCredential,
    );
  });

  it('reads the plan from identity-based settings', () => {
    const settings = loadSettings({
      ...azureEnv,
      IMAGES_STORAGE__credential: 'managedidentity',
      IMAGES_STORAGE__clientId: 'cid-images',
      COSMOS__credential: 'managedidentity',
      COSMOS__clientId: 'cid-cosmos',
    });
    if (settings.images.kind !== 'identity' || settings.cosmos.auth.kind !== 'identity') {
      throw new Error('expected identity-based settings');
    }
    expect(credentialPlanFor(settings.images.credential)).toEqual({
      kind: 'managedIdentity',
      clientId: 'cid-images',
    });
    expect(credentialPlanFor(settings.cosmos.auth.credential)).toEqual({
      kind: 'managedIdentity',
      clientId: 'cid-cosmos',
    });
  });

  it('builds an identity Blob client on the service URI (no account key involved)', () => {
    const settings = loadSettings({ ...azureEnv, IMAGES_STORAGE__credential: 'managedidentity' });
    const client = createBlobServiceClient(settings.images);
    expect(client.url).toBe('https://stimages.blob.core.windows.net/');
    expect(client.accountName).toBe('stimages');
    expect(client.credential).toBeInstanceOf(ManagedIdentityCredential);
  });
});
