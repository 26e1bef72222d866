/**
 * `npm start`: the whole pipeline locally (Azurite, Cosmos, the function app, Durable, Event Grid) with one
 * ready line; Ctrl-C stops everything.
 */
import { findAppRoot } from './appRoot';
import { watchLauncher } from './launcherWatch';
import { parseStartArguments, type StartArguments } from './cli/args';
import { helpRequested } from './cli/run';
import { reconcile } from './reconcile';
import { startStack, type RunningStack } from './stack';

function blobEndpoint(connectionString: string): string {
  return (
    /(?:^|;)BlobEndpoint=([^;]+)/.exec(connectionString)?.[1] ?? 'http://127.0.0.1:10000/devstoreaccount1'
  );
}

const USAGE =
  'usage: npm start -- [--port 7071] [--azurite-ports 10000,10001,10002] [--cosmos-port 8081] [--azurite-location <folder> | memory] [--reconcile]';

async function main(): Promise<void> {
  if (helpRequested(process.argv.slice(2))) {
    console.log(USAGE);
    return;
  }
  const started = Date.now();
  let stack: RunningStack;
  let args: StartArguments;
  try {
    args = parseStartArguments(process.argv.slice(2));
    stack = await startStack({
      appRoot: findAppRoot(),
      ...(args.port === undefined ? {} : { port: args.port }),
      azurite: {
        ...(args.azuritePorts ? { ports: args.azuritePorts } : {}),
        ...(args.azuriteLocation ? { location: args.azuriteLocation } : {}),
      },
      ...(args.cosmosPort === undefined ? {} : { cosmos: { port: args.cosmosPort } }),
    });
  } catch (error) {
    console.error(`devhost: could not start: ${(error as Error).message}`);
    process.exitCode = 1;
    return;
  }

  console.log(
    `devhost ready in ${((Date.now() - started) / 1000).toFixed(1)} s · site ${stack.siteUrl} · console ${stack.consoleUrl}` +
      ` · functions ${stack.baseUrl}/api (${stack.functionNames.length} registered)` +
      ` · status ${stack.baseUrl}/admin/host/status · Azurite ${blobEndpoint(stack.connectionString)}` +
      ` · Cosmos ${stack.cosmosEndpoint} · settings ${stack.settingsFile ?? 'environment only'}` +
      ` · try: open the site, or npm run upload -- photo.jpg · Ctrl-C to stop`,
  );

  // In the background: it may wait for an interrupted backfill to finish first.
  if (args.reconcile) void reconcile(stack.baseUrl);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      console.error(`devhost: ${signal} again, exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`devhost: ${signal} received, stopping…`);
    stack.stop().then(
      () => {
        console.log('devhost: stopped');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`devhost: error while stopping: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // Killed launcher (e.g. SIGKILL of `npm start`): stop too, so no host is left holding the ports.
  watchLauncher(() => shutdown('SIGHUP'));
}

main().catch((error: unknown) => {
  console.error(`devhost: ${(error as Error).message}`);
  process.exitCode = 1;
});
