import type { AccessToken, TokenCredential } from '@azure/identity';
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cosmosClientOptions,
  createCosmosClient,
  imagesContainerOf,
  isLoopbackEndpoint,
} from '../../src/storage/cosmosClient';
import { loadSettings } from '../../src/config/settings';
import { ensureCosmosContainer, freePort, startCosmos, type RunningCosmos } from '@image-derivatives/devhost';
import { testEnv } from '../support/env';

/** A stand-in for Entra: hands out a fixed token and counts the scopes asked for. */
class FakeTokenCredential implements TokenCredential {
  readonly scopes: string[] = [];
  constructor(private readonly token: string) {}
  getToken(scopes: string | string[]): Promise<AccessToken> {
    this.scopes.push(...(Array.isArray(scopes) ? scopes : [scopes]));
    return Promise.resolve({ token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 });
  }
}

describe('cosmos client factory', () => {
  it('uses the key only when COSMOS__key is set, and reads and writes documents with it', async () => {
    const settings = loadSettings(testEnv());
    expect(settings.cosmos.auth.kind).toBe('key');
    const client = createCosmosClient(settings.cosmos);
    try {
      const container = imagesContainerOf(client, settings.cosmos);
      const id = randomUUID();
      await container.items.create({ id, note: 'key auth' });
      const { resource } = await container.item(id, id).read<{ id: string; note: string }>();
      expect(resource?.note).toBe('key auth');
    } finally {
      client.dispose();
    }
  });

  it('accepts a self-signed certificate only on loopback endpoints', () => {
    expect(isLoopbackEndpoint('https://127.0.0.1:8081')).toBe(true);
    expect(isLoopbackEndpoint('https://localhost:8081')).toBe(true);
    expect(isLoopbackEndpoint('https://cosmos-images.documents.azure.com:443/')).toBe(false);
    expect(isLoopbackEndpoint('https://127.0.0.1.evil.example')).toBe(false);

    const local = cosmosClientOptions(loadSettings(testEnv()).cosmos);
    expect(local.agent).toBeInstanceOf(https.Agent);
    expect((local.agent as https.Agent).options.rejectUnauthorized).toBe(false);

    const remote = cosmosClientOptions(
      loadSettings(
        testEnv({
          COSMOS__accountEndpoint: 'https://cosmos-images.documents.azure.com',
          COSMOS__key: undefined,
        }),
      ).cosmos,
    );
    expect(remote.agent).toBeUndefined();
    expect(remote.key).toBeUndefined();
    expect(remote.aadCredentials).toBeDefined();
  });

  describe('managed identity', () => {
    let cosmos: RunningCosmos;
    const authorizations: string[] = [];

    beforeAll(async () => {
      cosmos = await startCosmos(await freePort());
      await ensureCosmosContainer(cosmos.endpoint, 'MediaCorp', 'Images');
      cosmos.server.prependListener('request', (request: { headers: Record<string, unknown> }) => {
        const header = request.headers.authorization;
        if (typeof header === 'string') authorizations.push(header);
      });
    });
    afterAll(async () => cosmos.stop());

    it('sends the Entra token as `type=aad&ver=1.0&sig=<token>` and never a key', async () => {
      const settings = loadSettings(
        testEnv({
          COSMOS__accountEndpoint: cosmos.endpoint,
          COSMOS__key: undefined,
          COSMOS__credential: 'managedidentity',
          COSMOS__clientId: '11111111-2222-3333-4444-555555555555',
        }),
      );
      expect(settings.cosmos.auth.kind).toBe('identity');
      const credential = new FakeTokenCredential('fake-entra-token.for-tests');
      const client = createCosmosClient(settings.cosmos, { credential });
      try {
        const id = randomUUID();
        await imagesContainerOf(client, settings.cosmos).items.create({ id });
      } finally {
        client.dispose();
      }
      expect(authorizations.length).toBeGreaterThan(0);
      // @azure/cosmos 4.9 sets the header as-is (not URL-encoded): `type=aad&ver=1.0&sig=<token>`.
      for (const header of authorizations) {
        expect(header).toBe('type=aad&ver=1.0&sig=fake-entra-token.for-tests');
      }
      // The token is asked for the account's own scope.
      expect(credential.scopes).toContain(`${cosmos.endpoint}/.default`);
    });
  });
});
