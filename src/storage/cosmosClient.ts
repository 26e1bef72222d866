import type { TokenCredential } from '@azure/identity';
import { CosmosClient, type Container, type CosmosClientOptions } from '@azure/cosmos';
import https from 'node:https';
import { isLoopbackUrl } from '../config/loopback';
import { getSettings, type Settings } from '../config/settings';
import { createCredential } from './credential';

export type CosmosSettings = Settings['cosmos'];

export interface CosmosFactoryOptions {
  /** Overrides the credential the settings ask for (tests; never needed in Azure). */
  credential?: TokenCredential;
}

/** Loopback endpoints are where the emulators listen (see src/config/loopback.ts). */
export function isLoopbackEndpoint(endpoint: string): boolean {
  return isLoopbackUrl(endpoint);
}

/**
 * Builds the Cosmos client options: the emulator key only when `COSMOS__key` is set (the Azure account has
 * local auth disabled), an Entra credential otherwise.
 */
export function cosmosClientOptions(
  cosmos: CosmosSettings,
  options: CosmosFactoryOptions = {},
): CosmosClientOptions {
  const auth: Pick<CosmosClientOptions, 'key' | 'aadCredentials'> =
    cosmos.auth.kind === 'key'
      ? { key: cosmos.auth.key }
      : { aadCredentials: options.credential ?? createCredential(cosmos.auth.credential) };
  const endpoint = cosmos.endpoint;
  // The local emulators serve HTTPS with a self-signed certificate that no CA vouches for. Trusting it is only
  // acceptable on loopback, where no one else can sit in the middle; every other host keeps full TLS checks.
  const agent =
    endpoint.startsWith('https:') && isLoopbackEndpoint(endpoint)
      ? new https.Agent({ rejectUnauthorized: false, keepAlive: true })
      : undefined;
  return { endpoint, ...auth, ...(agent ? { agent } : {}) };
}

export function createCosmosClient(cosmos: CosmosSettings, options: CosmosFactoryOptions = {}): CosmosClient {
  return new CosmosClient(cosmosClientOptions(cosmos, options));
}

/** The images document container (partition key `/id`) of a client. */
export function imagesContainerOf(client: CosmosClient, cosmos: CosmosSettings): Container {
  return client.database(cosmos.database).container(cosmos.container);
}

let cosmosClient: CosmosClient | undefined;

/** Built once per worker: the client caches account metadata, connections and tokens. */
export function getCosmosClient(): CosmosClient {
  cosmosClient ??= createCosmosClient(getSettings().cosmos);
  return cosmosClient;
}

export function getImagesContainer(): Container {
  return imagesContainerOf(getCosmosClient(), getSettings().cosmos);
}
