/**
 * The local Functions host as a library: the whole stack (`startStack`) for end-to-end tests and benchmarks,
 * and the emulators it runs (Azurite, the Cosmos SQL API server) for a test run's global setup.
 */
export { DEFAULT_PORTS } from './defaultPorts';
export { reconcile, type ReconcileOptions } from './reconcile';
export { eventGridSubscriber, startStack, withBlobPort, type RunningStack, type StackOptions } from './stack';
export { readDurableHostConfig, type DurableHostConfig } from './hostConfig';
export { blobCreatedEvent, type BlobCreatedEvent } from './eventgrid';
export {
  azuriteConnectionString,
  startAzurite,
  type AzuritePorts,
  type RunningAzurite,
} from './services/azurite';
export { EMULATOR_KEY, ensureCosmosContainer, startCosmos, type RunningCosmos } from './services/cosmos';
export { assertPortFree, freePort, waitForPort } from './services/ports';
