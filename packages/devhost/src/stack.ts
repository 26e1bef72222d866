import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { DEFAULT_PORTS } from './defaultPorts';
import { createDurableEngine, type DurableEngine } from './durable';
import {
  createEventGridPublisher,
  startBlobEventProxy,
  describeBlobWith,
  emulatorContainer,
  type EventGridPublisher,
} from './eventgrid';
import {
  consoleLogger,
  loadFunctionApp,
  readAppSettings,
  type HostLogger,
  type LoadedFunctionApp,
} from './functions';
import { readDurableHostConfig } from './hostConfig';
import { startHostServer, type HostServer } from './http';
import { startAzurite, stopStaleAzurite, type AzuritePorts, type RunningAzurite } from './services/azurite';
import { EMULATOR_KEY, ensureCosmosContainer, startCosmos, type RunningCosmos } from './services/cosmos';
import { assertPortFree, freePort } from './services/ports';
import { configureSiteAccess } from './services/siteAccess';
import { expireScratchBlobs } from './services/scratchLifecycle';

export interface StackOptions {
  /** The function app (package.json, host.json, local.settings.json); default: the current directory. */
  appRoot?: string;
  /** Port of the Functions host (default 7071; 0 picks a free one). */
  port?: number;
  /**
   * Attach to a running Azurite by connection string, or start one (default ports; data under `.azurite/`,
   * in another folder, or nowhere with `location: 'memory'`).
   */
  /**
   * An Azurite already running (`connectionString`; `blobPort` fixes the event proxy's port, e.g. to keep it
   * across a restart of the stack in one process, whose app caches its clients), or one to start.
   */
  azurite?:
    { connectionString: string; blobPort?: number } | { ports?: Partial<AzuritePorts>; location?: string };
  /**
   * Attach to a running Cosmos SQL API, or start one (default port 8081) whose writes are journaled in
   * `location` (default: `cosmos/` in Azurite's data folder; `memory` or an in-memory Azurite: not kept).
   */
  cosmos?: { endpoint: string; key?: string } | { port?: number; location?: string };
  /** App settings that win over everything else (e.g. other container names in tests). */
  settings?: Record<string, string>;
  /** Task hub name (default: host.json `extensions.durableTask.hubName`). */
  taskHub?: string;
  /**
   * The Event Grid function the publisher delivers BlobCreated events to, as an Event Grid subscription names
   * one endpoint (default: the app's only Event Grid function; several without this option is an error).
   */
  eventGridFunction?: string;
  /** Only warnings and errors (benchmarks, tests). */
  quiet?: boolean;
  logger?: HostLogger;
}

export interface RunningStack {
  /** The Functions host, e.g. http://127.0.0.1:7071 */
  baseUrl: string;
  /** The upload page and the operator console, served by the app (`GET /api/site/…`). */
  siteUrl: string;
  consoleUrl: string;
  /** Azurite (Blob, Queue, Table) connection string; its Blob endpoint is the event proxy's. */
  connectionString: string;
  /**
   * Azurite's own Blob endpoint, behind the proxy: writes made here raise no Event Grid event, for tests that
   * deliver every event explicitly (an order or a timing Azure can produce but a live proxy would not).
   */
  directConnectionString: string;
  cosmosEndpoint: string;
  cosmosKey: string;
  /** Settings file the app settings came from (local.settings.json or the .sample). */
  settingsFile: string | undefined;
  functionNames: string[];
  app: LoadedFunctionApp;
  engine: DurableEngine;
  /** Stops the publisher, the engine, the host, then the services this stack started. */
  stop(): Promise<void>;
}

function setting(values: Record<string, string | undefined>, name: string, fallback: string): string {
  const value = values[name];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

/** The connection string with its Blob endpoint moved to another loopback port (the event proxy's). */
export function withBlobPort(connectionString: string, port: number): string {
  return connectionString
    .split(';')
    .map((part) => {
      const match = /^BlobEndpoint=(.+)$/i.exec(part);
      if (!match?.[1]) return part;
      const endpoint = new URL(match[1]);
      endpoint.port = String(port);
      endpoint.hostname = '127.0.0.1';
      return `BlobEndpoint=${endpoint.toString().replace(/\/$/, '')}`;
    })
    .join(';');
}

function blobTarget(connectionString: string): { host: string; port: number } {
  const endpoint = /(?:^|;)BlobEndpoint=([^;]+)/i.exec(connectionString)?.[1];
  if (endpoint === undefined)
    throw new Error('Expected a BlobEndpoint in the storage connection string but received none');
  const url = new URL(endpoint);
  return { host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
}

/** The one function the local Event Grid subscription delivers to (see `StackOptions.eventGridFunction`). */
export function eventGridSubscriber(eventGridFunctions: string[], chosen?: string): string | undefined {
  if (chosen !== undefined) {
    if (!eventGridFunctions.includes(chosen))
      throw new Error(
        `Expected an Event Grid function of the app for eventGridFunction but received "${chosen}" (the app has: ${eventGridFunctions.join(', ') || 'none'})`,
      );
    return chosen;
  }
  if (eventGridFunctions.length > 1)
    throw new Error(
      `The app registers several Event Grid functions (${eventGridFunctions.join(', ')}): name the one to subscribe with eventGridFunction`,
    );
  return eventGridFunctions[0];
}

/**
 * The whole local pipeline on one machine: Azurite, the Cosmos SQL API server, the function app loaded as the
 * worker does, the Durable engine, the HTTP host and the Event Grid publisher. Used by `npm start`, the e2e
 * tests and the benchmark. One stack per process (the app loader is process-global).
 */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const appRoot = path.resolve(options.appRoot ?? process.cwd());
  const logger = options.logger ?? consoleLogger(options.quiet ? 'warning' : 'information');
  const say = (message: string): void => logger({ level: 'information', category: 'system', message });
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) {
      await step().catch((error: unknown) =>
        logger({
          level: 'error',
          category: 'system',
          message: `devhost: shutdown step failed: ${String(error)}`,
        }),
      );
    }
  };

  try {
    // Settings as the real host sees them: local.settings.json (or its sample), environment variables win.
    const settingsFile = readAppSettings(appRoot, { fallbackToSample: true });
    const values: Record<string, string | undefined> = {
      ...settingsFile.values,
      ...process.env,
      ...options.settings,
    };

    const port = options.port === 0 ? await freePort() : (options.port ?? DEFAULT_PORTS.host);
    await assertPortFree(port, 'Functions host');

    // Blob traffic goes through the storage event proxy (the port clients use); Queue and Table go straight
    // to Azurite. `directConnectionString` reaches Azurite's own Blob endpoint.
    let directConnectionString: string;
    let blobPort: number;
    let location: string | undefined;
    const azuriteOption = options.azurite ?? {};
    if ('connectionString' in azuriteOption) {
      directConnectionString = azuriteOption.connectionString;
      blobPort = azuriteOption.blobPort ?? (await freePort());
    } else {
      location = azuriteOption.location ?? path.join(appRoot, '.azurite');
      if (location === 'memory') location = undefined;
      // An Azurite an earlier run left on this data folder holds the ports: stop it first.
      if (location !== undefined) await stopStaleAzurite(location);
      blobPort = azuriteOption.ports?.blob ?? DEFAULT_PORTS.blob;
      const ports: AzuritePorts = {
        blob: await freePort(),
        queue: azuriteOption.ports?.queue ?? DEFAULT_PORTS.queue,
        table: azuriteOption.ports?.table ?? DEFAULT_PORTS.table,
      };
      await assertPortFree(blobPort, 'Azurite Blob');
      await assertPortFree(ports.queue, 'Azurite Queue');
      await assertPortFree(ports.table, 'Azurite Table');
      const azurite: RunningAzurite = await startAzurite({
        ports,
        ...(location === undefined ? {} : { location }),
        onExit: (message) => logger({ level: 'error', category: 'system', message: `devhost: ${message}` }),
      });
      cleanups.push(() => azurite.stop());
      directConnectionString = azurite.connectionString;
    }
    const connectionString = withBlobPort(directConnectionString, blobPort);

    let cosmosEndpoint: string;
    let cosmosKey = EMULATOR_KEY;
    const cosmosOption = options.cosmos ?? {};
    if ('endpoint' in cosmosOption) {
      cosmosEndpoint = cosmosOption.endpoint;
      cosmosKey = cosmosOption.key ?? EMULATOR_KEY;
    } else {
      const cosmosPort = cosmosOption.port ?? DEFAULT_PORTS.cosmos;
      await assertPortFree(cosmosPort, 'Cosmos DB');
      // Documents live next to Azurite's data (`.azurite/cosmos/`), or in memory when Azurite's do.
      const cosmosLocation =
        cosmosOption.location ?? (location === undefined ? undefined : path.join(location, 'cosmos'));
      const cosmos: RunningCosmos = await startCosmos(cosmosPort, {
        ...(cosmosLocation === undefined || cosmosLocation === 'memory' ? {} : { location: cosmosLocation }),
        log: (message) => logger({ level: 'warning', category: 'system', message }),
      });
      cleanups.push(() => cosmos.stop());
      cosmosEndpoint = cosmos.endpoint;
    }

    // The stack owns the services: point the app's connection settings at them.
    Object.assign(values, {
      AzureWebJobsStorage: connectionString,
      IMAGES_STORAGE: connectionString,
      COSMOS__accountEndpoint: cosmosEndpoint,
      COSMOS__key: cosmosKey,
      ...options.settings,
    });
    for (const [name, value] of Object.entries(values)) if (value !== undefined) process.env[name] = value;

    const unprocessed = setting(values, 'UNPROCESSED_CONTAINER', 'images-unprocessed');
    const processed = setting(values, 'PROCESSED_CONTAINER', 'images-processed');
    const blobs = BlobServiceClient.fromConnectionString(directConnectionString);
    await blobs.getContainerClient(unprocessed).createIfNotExists();
    // Azure's scratch lifecycle rule, applied at start (what terminated or crashed runs left behind).
    await expireScratchBlobs(
      blobs.getContainerClient(setting(values, 'SCRATCH_CONTAINER', 'images-scratch')),
    );
    // Derivatives go to DERIVATIVES_STORAGE when it names another (emulator) account; set-up goes to Azurite
    // directly (the event proxy is not listening yet, and set-up must raise no events).
    const derivativeBlobs = BlobServiceClient.fromConnectionString(
      values.DERIVATIVES_STORAGE?.trim() || directConnectionString,
    );
    await derivativeBlobs.getContainerClient(processed).createIfNotExists();
    await configureSiteAccess(blobs, {
      siteOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
      derivativesContainer: processed,
      derivativesBlobs: derivativeBlobs,
    });
    await ensureCosmosContainer(
      cosmosEndpoint,
      setting(values, 'COSMOS_DATABASE', 'MediaCorp'),
      setting(values, 'COSMOS_CONTAINER', 'Images'),
    );

    const baseUrl = `http://127.0.0.1:${port}`;
    process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;
    const app = await loadFunctionApp(appRoot, {
      logger,
      applyLocalSettings: false,
      hostName: `127.0.0.1:${port}`,
    });
    cleanups.push(() => app.terminate());

    const eventGridFunctions = app.invoker
      .functions()
      .filter((fn) => fn.trigger.type.toLowerCase() === 'eventgridtrigger')
      .map((fn) => fn.name);
    const subscriber = eventGridSubscriber(eventGridFunctions, options.eventGridFunction);
    let publisher: EventGridPublisher | undefined;
    if (subscriber) {
      // One subscription, as in Azure: BlobCreated and BlobDeleted under the unprocessed container.
      const created = createEventGridPublisher({
        connectionString: directConnectionString,
        container: unprocessed,
        webhookUrl: `${baseUrl}/runtime/webhooks/eventgrid?functionName=${encodeURIComponent(subscriber)}`,
        // Writes committed while no stand-in was recording (a kill between Azurite's commit and the event's
        // record, or a write straight to Azurite) get their event now, once.
        reconcile: emulatorContainer(blobs, unprocessed, blobPort),
        log: (message) =>
          logger({
            // A reconcile means writes went without their event for a while: worth seeing, like a dead letter.
            level: /dead-letter|failed|reconciled/.test(message) ? 'warning' : 'information',
            category: 'system',
            message,
          }),
      });
      await created.open();
      cleanups.push(() => created.stop());
      publisher = created;
    }
    const proxy = await startBlobEventProxy({
      port: blobPort,
      target: blobTarget(directConnectionString),
      describeBlob: describeBlobWith(blobs),
      onWrite: (write) => publisher?.publish(write) ?? Promise.resolve(),
      onPropertyWrite: (write) => publisher?.account(write) ?? Promise.resolve(),
      onError: (message) => logger({ level: 'error', category: 'system', message }),
    });
    cleanups.push(() => proxy.close());

    const durableConfig = readDurableHostConfig(appRoot, process.env);
    const engine = await createDurableEngine({
      invoker: app.invoker,
      tableConnectionString: connectionString,
      taskHub: options.taskHub ?? durableConfig.hubName,
      maxConcurrentActivities: durableConfig.maxConcurrentActivityFunctions,
      publicBaseUrl: baseUrl,
      logger: (level, message) =>
        logger({
          level: level === 'info' ? 'information' : level === 'warn' ? 'warning' : 'error',
          category: 'system',
          message: `[durable] ${message}`,
        }),
    });
    app.useDurableHost(engine);

    const server: HostServer = await startHostServer({
      invoker: app.invoker,
      durableHost: engine,
      port,
      onError: (message) => logger({ level: 'error', category: 'system', message }),
    });
    cleanups.push(() => server.close());
    await engine.start();
    cleanups.push(() => engine.stop());

    const functionNames = app.invoker.functions().map((fn) => fn.name);
    if (subscriber) {
      await publisher?.start();
    } else {
      say('devhost: the app has no Event Grid function; blob writes raise no events');
    }

    server.setReady(true);
    cleanups.push(() => Promise.resolve(server.setReady(false)));

    return {
      baseUrl,
      siteUrl: `${baseUrl}/api/site/`,
      consoleUrl: `${baseUrl}/api/site/console.html`,
      connectionString,
      directConnectionString,
      cosmosEndpoint,
      cosmosKey,
      settingsFile: settingsFile.file,
      functionNames,
      app,
      engine,
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
