import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { azuriteAccountConnectionString, startAzurite, type AzuriteAccount } from '../src/services/azurite';
import { ensureCosmosContainer, EMULATOR_KEY, startCosmos } from '../src/services/cosmos';
import { freePort } from '../src/services/ports';

/**
 * Starts real Azurite and the Cosmos SQL API server on free ports, once for the whole run: the root's
 * vitest.config.mts runs it for the app's tests and this package's alike (`inject(...)` reads the values).
 */
/** A second emulator account, so tests can keep derivatives (`DERIVATIVES_STORAGE`) apart from sources. */
const DERIVATIVES_ACCOUNT: AzuriteAccount = {
  name: 'derivativesaccount1',
  key: Buffer.from('derivativesaccount1 emulator-only test key').toString('base64'),
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite({
    ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
    extraAccounts: [DERIVATIVES_ACCOUNT],
  });
  const cosmos = await startCosmos(await freePort());
  await ensureCosmosContainer(cosmos.endpoint, 'MediaCorp', 'Images');
  project.provide('azuriteConnectionString', azurite.connectionString);
  project.provide('azuritePorts', azurite.ports);
  project.provide(
    'azuriteDerivativesConnectionString',
    azuriteAccountConnectionString(azurite.ports.blob, DERIVATIVES_ACCOUNT),
  );
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
    /** The same Azurite's second account (blob only). */
    azuriteDerivativesConnectionString: string;
    azuritePorts: { blob: number; queue: number; table: number };
    cosmosEndpoint: string;
    cosmosKey: string;
  }
}
