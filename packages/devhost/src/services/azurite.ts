import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForPort } from './ports';
import { commandLine, isAlive } from './processes';

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

/** An emulator account besides `devstoreaccount1` (a name of 3-24 lower-case letters and digits, a base64 key). */
export interface AzuriteAccount {
  name: string;
  key: string;
}

/** A blob-only connection string for another account of the same Azurite (path-style: the account is in the path). */
export function azuriteAccountConnectionString(blobPort: number, account: AzuriteAccount): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${account.name}`,
    `AccountKey=${account.key}`,
    `BlobEndpoint=http://127.0.0.1:${blobPort}/${account.name}`,
  ].join(';');
}

/** Azurite's entry point wrapped so it exits with its parent (see the file). */
const CHILD_ENTRY = path.resolve(__dirname, '..', '..', 'bin', 'azurite-child.cjs');

/**
 * Starts Azurite from the npm package as a child process that exits when this process does, even when this
 * one is killed (an IPC channel it watches), and is stopped only by this process (`stop()`, or that channel
 * closing), never by a signal sent to this process's group. `location` keeps data on disk (npm start) and a pid file there,
 * so a later start can stop an Azurite an earlier run left behind; without it data lives in memory (tests).
 * `extraAccounts` adds accounts beside `devstoreaccount1` (Azurite's `AZURITE_ACCOUNTS`, which replaces the
 * default account unless it is listed too). `onExit` hears of an Azurite that exits after it started and
 * before `stop()` (it crashed, ran out of memory or disk, or was killed): every storage call fails from then on.
 */
export async function startAzurite(options: {
  ports: AzuritePorts;
  location?: string;
  extraAccounts?: readonly AzuriteAccount[];
  onExit?: (message: string) => void;
}): Promise<RunningAzurite> {
  const { ports, location, extraAccounts = [] } = options;
  const args = [
    CHILD_ENTRY,
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
  if (location) {
    // A fresh clone has no data folder yet: Azurite would make it, but the pid file is written first.
    await mkdir(location, { recursive: true });
    await stopStaleAzurite(location);
  }
  const accounts = [{ name: DEV_ACCOUNT, key: DEV_ACCOUNT_KEY }, ...extraAccounts];
  const env =
    extraAccounts.length === 0
      ? process.env
      : { ...process.env, AZURITE_ACCOUNTS: accounts.map(({ name, key }) => `${name}:${key}`).join(';') };
  const child: ChildProcess = spawn(process.execPath, args, {
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // A process group of its own: Ctrl-C (SIGINT to the terminal's foreground group) reaches the host only, and
    // the host stops its own work before it stops Azurite (`stop()`), which then closes its servers and saves
    // its metadata (Loki saves every 5 s otherwise). Azurite in the host's group would exit at once and lose
    // the writes of its last seconds, while Cosmos keeps the documents that name them.
    detached: true,
    windowsHide: true,
  });
  // The IPC channel is the child's lifeline, not a reason for this process to stay alive.
  child.channel?.unref();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`Azurite exited with code ${code}: ${stderr.trim()}`))),
  );
  exited.catch(() => undefined);
  let running = false;
  child.once('exit', (code, signal) => {
    if (!running) return;
    const tail = stderr.trim().split('\n').slice(-3).join(' | ');
    options.onExit?.(
      `Azurite (pid ${child.pid}) exited unexpectedly (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ''}; ` +
        'every Blob, Queue and Table call fails until the local host is restarted',
    );
  });
  try {
    if (location && child.pid !== undefined) {
      const record: PidRecord = { host: process.pid, azurite: child.pid };
      await writeFile(pidFile(location), `${JSON.stringify(record)}\n`);
    }
    await Promise.race([
      Promise.all([
        waitForPort(ports.blob, 30_000, 'Azurite Blob'),
        waitForPort(ports.queue, 30_000, 'Azurite Queue'),
        waitForPort(ports.table, 30_000, 'Azurite Table'),
      ]),
      exited,
    ]);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  running = true;
  return {
    ports,
    connectionString: azuriteConnectionString(ports),
    stop: async () => {
      running = false;
      await stopChild(child);
      if (location) await rm(pidFile(location), { force: true });
    },
  };
}

/** What `devhost-azurite.pid` holds: the host that started Azurite on the data folder, and that Azurite. */
export interface PidRecord {
  host?: number;
  azurite: number;
}

function readPidRecord(text: string): PidRecord | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { azurite: Number(trimmed) };
  try {
    const value = JSON.parse(trimmed) as Partial<PidRecord>;
    return typeof value.azurite === 'number' ? { ...value, azurite: value.azurite } : undefined;
  } catch {
    return undefined;
  }
}

/** `{location}/devhost-azurite.pid`: the Azurite this host started on that data folder. */
export function pidFile(location: string): string {
  return path.join(location, 'devhost-azurite.pid');
}

/**
 * An Azurite left running on this data folder by an earlier run (say its host was killed before its child
 * learned to exit with it) holds the ports and the folder: stop it, after checking the pid is still Azurite
 * (a pid can be reused) where /proc tells.
 */
export async function stopStaleAzurite(location: string, timeoutMs = 10_000): Promise<boolean> {
  let record: PidRecord | undefined;
  try {
    record = readPidRecord(await readFile(pidFile(location), 'utf8'));
  } catch {
    return false;
  }
  const host = record?.host;
  if (
    host !== undefined &&
    host !== process.pid &&
    host > 1 &&
    isAlive(host) &&
    /node/i.test(commandLine(host) ?? 'node')
  )
    throw new Error(
      `The data folder ${location} is in use by another local host (pid ${host}): stop it first, or give this one another --azurite-location.`,
    );
  const pid = record?.azurite ?? 0;
  if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid || !isAlive(pid)) {
    await rm(pidFile(location), { force: true });
    return false;
  }
  const command = commandLine(pid);
  if (command !== undefined && !/azurite/i.test(command)) {
    await rm(pidFile(location), { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  await rm(pidFile(location), { force: true });
  return true;
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
