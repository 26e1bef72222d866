import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/services/ports';

/**
 * `npm start` as a child process, for this package's tests and the app's restart test: the compiled entry
 * point (packages/devhost/dist/start.js, built by `npm test`) run in the repository's function app.
 */

/** The repository root: the function app `npm start` loads. */
export const repoRoot = path.resolve(__dirname, '../../../..');
/** The compiled `npm start` entry point. */
export const startScript = path.resolve(__dirname, '../../dist/start.js');

export interface StartRun {
  child: ChildProcess;
  /** Everything the child wrote so far, stdout and stderr interleaved. */
  output: () => string;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const folders: string[] = [];

/** Collects `child`'s output and kills it (SIGKILL) at `cleanUpStarts` if it still runs. */
export function tracked(child: ChildProcess): StartRun {
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * Runs `npm start` with `args` (no build step) in the repository; throws when it is not built. `ownGroup`
 * starts it as the leader of a new process group, as a shell starts a foreground job, so a test can send a
 * signal to the whole group (`process.kill(-pid, 'SIGINT')`) as Ctrl-C in a terminal does.
 */
export function start(args: string[], options: { ownGroup?: boolean } = {}): StartRun {
  if (!existsSync(startScript))
    throw new Error(`${startScript} is missing: run npm run build (npm test does)`);
  return tracked(
    spawn(process.execPath, [startScript, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.ownGroup === true,
    }),
  );
}

/**
 * Free host, Blob, Queue, Table and Cosmos ports and a fresh data folder (named `prefix…`, deleted at
 * `cleanUpStarts`): the arguments of one `npm start` command line that can be run twice on the same data.
 */
export async function persistentArgs(prefix = 'devhost-start-'): Promise<{
  args: string[];
  ports: [host: number, blob: number, queue: number, table: number, cosmos: number];
  location: string;
}> {
  const [host, blob, queue, table, cosmos] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const location = await mkdtemp(path.join(os.tmpdir(), prefix));
  folders.push(location);
  return {
    args: [
      '--port',
      String(host),
      '--azurite-ports',
      `${blob},${queue},${table}`,
      '--cosmos-port',
      String(cosmos),
      '--azurite-location',
      location,
    ],
    ports: [host, blob, queue, table, cosmos],
    location,
  };
}

/** SIGKILLs every tracked child that still runs and deletes every data folder: for `afterEach`. */
export async function cleanUpStarts(): Promise<void> {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
}
