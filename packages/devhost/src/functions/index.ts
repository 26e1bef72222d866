export { loadFunctionApp, type LoadedFunctionApp, type LoadFunctionAppOptions } from './loadFunctionApp';
export { CoreFunctionInvoker, describeRegistration, type ExtraInputProvider } from './invoker';
export type { Registration } from './functionsCore';
export { consoleLogger, silentLogger, type HostLogEntry, type HostLogger } from './hostLog';
export { readAppSettings, applyAppSettings } from './appSettings';
