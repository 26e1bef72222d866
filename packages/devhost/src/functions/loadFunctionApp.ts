import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import type { DurableHost } from '../contracts';
import { applyAppSettings, readAppSettings } from './appSettings';
import { resolveEntryPoints } from './entryPoints';
import { installFunctionsCore, type Registration } from './functionsCore';
import { consoleLogger, type HostLogger } from './hostLog';
import { CoreFunctionInvoker } from './invoker';

export interface LoadFunctionAppOptions {
  /** Where function and system logs go (default: console). */
  logger?: HostLogger;
  /** Copy local.settings.json `Values` into process.env before loading (default true; set variables win). */
  applyLocalSettings?: boolean;
  /** Use local.settings.json.sample when there is no local.settings.json (a fresh clone). */
  settingsFallbackToSample?: boolean;
  /**
   * `host:port` this host serves on; becomes WEBSITE_HOSTNAME so durable-functions' `getClient` keeps the
   * binding's URLs instead of rewriting them to localhost:7071.
   */
  hostName?: string;
}

export interface LoadedFunctionApp {
  appRoot: string;
  entryPoints: string[];
  /** The settings file applied, if any. */
  settingsFile: string | undefined;
  /** What the programming model reported from `getCapabilities`. */
  capabilities: Record<string, string>;
  invoker: CoreFunctionInvoker;
  /** Every `registerFunction` call, with the metadata exactly as the library built it. */
  registrations(): Registration[];
  /**
   * Fills `durableClient` (and legacy `orchestrationClient`) inputs from the engine. Set after creating the
   * engine: the engine needs the invoker and the invoker needs the engine, so the lookup is lazy.
   */
  useDurableHost(host: Pick<DurableHost, 'clientBindingData'>): void;
  /** Runs the app's `appTerminate` hooks. */
  terminate(): Promise<void>;
}

let loaded: { appRoot: string; app: Promise<LoadedFunctionApp> } | undefined;

function isEsm(file: string, appRoot: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  const packageJson = JSON.parse(readFileSync(path.join(appRoot, 'package.json'), 'utf8')) as {
    type?: unknown;
  };
  return packageJson.type === 'module';
}

/**
 * Loads a function app as the Node worker does: provides `@azure/functions-core`, applies app settings,
 * requires each package.json `main` entry unmodified, runs `appStart` hooks and asks the programming model
 * for its capabilities (which locks `app.setup`).
 *
 * One app per process: the `@azure/functions-core` provider is process-global and `@azure/functions` binds
 * to it for the life of the process. Loading the same root again returns the same app; another root throws.
 */
export function loadFunctionApp(
  appRoot: string,
  options: LoadFunctionAppOptions = {},
): Promise<LoadedFunctionApp> {
  const root = path.resolve(appRoot);
  if (loaded) {
    if (loaded.appRoot !== root) {
      return Promise.reject(
        new Error(`This process already hosts the app at ${loaded.appRoot}; one function app per process.`),
      );
    }
    return loaded.app;
  }
  const app = load(root, options);
  loaded = { appRoot: root, app };
  return app;
}

async function load(appRoot: string, options: LoadFunctionAppOptions): Promise<LoadedFunctionApp> {
  const core = installFunctionsCore(options.logger ?? consoleLogger());
  if (options.logger) core.logger = options.logger;

  const settings =
    options.applyLocalSettings === false
      ? { file: undefined, values: {} }
      : readAppSettings(appRoot, { fallbackToSample: options.settingsFallbackToSample ?? false });
  applyAppSettings(settings.values);
  if (options.hostName) process.env.WEBSITE_HOSTNAME = options.hostName;

  const entryPoints = resolveEntryPoints(appRoot);
  // Node's own require (not a bundler's), so the app's modules load through Module.prototype.require.
  const nativeRequire = createRequire(path.join(appRoot, 'package.json'));
  for (const file of entryPoints) {
    try {
      if (isEsm(file, appRoot)) await import(pathToFileURL(file).href);
      else nativeRequire(file);
    } catch (error) {
      throw new Error(
        `Worker was unable to load entry point "${path.relative(appRoot, file)}": ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  await core.runHooks('appStart', {
    hookData: {},
    appHookData: core.appHookData,
    functionAppDirectory: appRoot,
  });
  const capabilities = core.programmingModel?.getCapabilities
    ? await core.programmingModel.getCapabilities({})
    : {};
  if (capabilities.HttpUri) {
    throw new Error(
      'The app enabled HTTP streaming (app.setup({ enableHttpStream: true })), which this local host does not support.',
    );
  }
  core.locked = true;

  const invoker = new CoreFunctionInvoker(core);
  return {
    appRoot,
    entryPoints,
    settingsFile: settings.file,
    capabilities,
    invoker,
    registrations: () => [...core.registrations.values()],
    useDurableHost(host) {
      const clientData = () => ({ string: host.clientBindingData() });
      invoker.provideExtraInput('durableClient', clientData);
      invoker.provideExtraInput('orchestrationClient', clientData);
    },
    terminate: () => core.runHooks('appTerminate', { hookData: {}, appHookData: core.appHookData }),
  };
}
