import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { startAzurite } from '../src/services/azurite';
import { ensureCosmosContainer, EMULATOR_KEY, startCosmos } from '../src/services/cosmos';
import { freePort } from '../src/services/ports';

/**
 * Starts real Azurite and the Cosmos SQL API server on free ports, once for the whole run: the root's
 * vitest.config.mts runs it for the app's tests and this package's alike (`inject(...)` reads the values).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite({
    ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
  });
  const cosmos = await startCosmos(await freePort());
  await ensureCosmosContainer(cosmos.endpoint, 'MediaCorp', 'Images');
  project.provide('azuriteConnectionString', azurite.connectionString);
  project.provide('azuritePorts', azurite.ports);
  project.provide('cosmosEndpoint', cosmos.endpoint);
  project.provide('cosmosKey', EMULATOR_KEY);
  return async () => {
    await cosmos.stop();
    await azurite.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string;
    azuritePorts: { blob: number; queue: number; table: number };
    cosmosEndpoint: string;
    cosmosKey: string;
  }
}
