import { DEFAULT_PORTS } from '../defaultPorts';

/** The value of `--name value` or `--name=value`, or undefined when the option is absent. */
export function optionValue(args: string[], name: string): string | undefined {
  const flag = `--${name}`;
  const index = args.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`));
  if (index < 0) return undefined;
  const arg = args[index] ?? '';
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[index + 1];
  if (value === undefined || value.startsWith('--'))
    throw new Error(`Expected a value for ${flag} but received nothing`);
  return value;
}

function port(raw: string, name: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 65535) {
    throw new Error(`Expected a port number (1-65535) for ${name} but received ${JSON.stringify(raw)}`);
  }
  return value;
}

/** `--port N` (or `--port=N`) for the host, validated like every other option. */
export function parsePortArgument(args: string[]): number | undefined {
  const index = args.findIndex((arg) => arg === '--port' || arg.startsWith('--port='));
  if (index < 0) return undefined;
  const arg = args[index] ?? '';
  const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[index + 1];
  return port(raw ?? '', '--port');
}

export interface StartArguments {
  port?: number;
  azuritePorts?: { blob: number; queue: number; table: number };
  cosmosPort?: number;
  /** A folder, or `memory`. */
  azuriteLocation?: string;
  /** `--reconcile`: once ready, start a `missing` backfill over every blob (what a crash or outage left). */
  reconcile?: boolean;
}

/**
 * `npm start -- [--port 7071] [--azurite-ports 10000,10001,10002] [--cosmos-port 8081] [--azurite-location memory]`:
 * the defaults are the real tools' ports; the options exist for machines where those are taken.
 */
export function parseStartArguments(args: string[]): StartArguments {
  const result: StartArguments = {};
  const hostPort = parsePortArgument(args);
  if (hostPort !== undefined) result.port = hostPort;
  const azurite = optionValue(args, 'azurite-ports');
  if (azurite !== undefined) {
    const parts = azurite.split(',');
    if (parts.length !== 3) {
      throw new Error(
        `Expected three ports (blob,queue,table) for --azurite-ports but received ${JSON.stringify(azurite)}`,
      );
    }
    const [blob, queue, table] = parts.map((part) => port(part.trim(), '--azurite-ports'));
    result.azuritePorts = { blob: blob ?? 0, queue: queue ?? 0, table: table ?? 0 };
  }
  const cosmos = optionValue(args, 'cosmos-port');
  if (cosmos !== undefined) result.cosmosPort = port(cosmos, '--cosmos-port');
  const location = optionValue(args, 'azurite-location');
  if (location !== undefined) result.azuriteLocation = location;
  if (args.includes('--reconcile')) result.reconcile = true;
  return result;
}

/**
 * The local host's Durable status endpoint for one instance (no key locally). The app's own answers carry only
 * its operator endpoints, never the extension's key-bearing URLs, so the CLIs and the reconcile build this from
 * the instance id.
 */
export function durableStatusUrl(baseUrl: string, instanceId: string): string {
  return `${baseUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}`;
}

/** The host's base URL for the CLIs: DEVHOST_URL, or 127.0.0.1 and --port / 7071 as `npm start` uses. */
export function hostBaseUrl(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  if (env.DEVHOST_URL) return env.DEVHOST_URL.replace(/\/+$/, '');
  return `http://127.0.0.1:${parsePortArgument(args) ?? DEFAULT_PORTS.host}`;
}
