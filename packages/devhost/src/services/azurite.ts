import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitForPort } from './ports';

/** Azurite's published development account (a well-known, emulator-only key). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuritePorts {
  blob: number;
  queue: number;
  table: number;
}

export interface RunningAzurite {
  ports: AzuritePorts;
  /** A full connection string for the three services on these ports. */
  connectionString: string;
  stop(): Promise<void>;
}

export function azuriteConnectionString(ports: AzuritePorts): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_ACCOUNT_KEY}`,
    `BlobEndpoint=http://127.0.0.1:${ports.blob}/${DEV_ACCOUNT}`,
    `QueueEndpoint=http://127.0.0.1:${ports.queue}/${DEV_ACCOUNT}`,
    `TableEndpoint=http://127.0.0.1:${ports.table}/${DEV_ACCOUNT}`,
  ].join(';');
}

/**
 * Starts Azurite from the npm package as a child process. `location` keeps data on disk (npm start);
 * without it data lives in memory (tests).
 */
export async function startAzurite(options: {
  ports: AzuritePorts;
  location?: string;
}): Promise<RunningAzurite> {
  const { ports, location } = options;
  const bin = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  const args = [
    bin,
    '--silent',
    '--disableTelemetry',
    // The SDKs may speak a newer REST version than this Azurite release knows.
    '--skipApiVersionCheck',
    '--loose',
    '--blobPort',
    String(ports.blob),
    '--queuePort',
    String(ports.queue),
    '--tablePort',
    String(ports.table),
    ...(location ? ['--location', location] : ['--inMemoryPersistence']),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`Azurite exited with code ${code}: ${stderr.trim()}`))),
  );
  exited.catch(() => undefined);
  await Promise.race([
    Promise.all([
      waitForPort(ports.blob, 30_000, 'Azurite Blob'),
      waitForPort(ports.queue, 30_000, 'Azurite Queue'),
      waitForPort(ports.table, 30_000, 'Azurite Table'),
    ]),
    exited,
  ]);
  return {
    ports,
    connectionString: azuriteConnectionString(ports),
    stop: () => stopChild(child),
  };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
