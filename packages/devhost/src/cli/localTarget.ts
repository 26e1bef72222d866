import { readAppSettings } from '../functions/appSettings';
import { azuriteConnectionString, type AzuritePorts } from '../services/azurite';
import { DEFAULT_PORTS } from '../defaultPorts';

export interface LocalTarget {
  connectionString: string;
  unprocessedContainer: string;
}

/**
 * Where `npm start` keeps uploads: Azurite on its default ports (or `--azurite-ports`), and the container named by the same settings
 * start reads (environment, then local.settings.json or its sample).
 */
export function localTarget(
  appRoot: string,
  azuritePorts: AzuritePorts = {
    blob: DEFAULT_PORTS.blob,
    queue: DEFAULT_PORTS.queue,
    table: DEFAULT_PORTS.table,
  },
  env: NodeJS.ProcessEnv = process.env,
): LocalTarget {
  const values = { ...readAppSettings(appRoot, { fallbackToSample: true }).values, ...env };
  const container = values.UNPROCESSED_CONTAINER?.trim();
  return {
    connectionString: azuriteConnectionString(azuritePorts),
    unprocessedContainer: container ? container : 'images-unprocessed',
  };
}
