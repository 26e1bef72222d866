import { BlobServiceClient } from '@azure/storage-blob';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { azuriteConnectionString, pidFile } from '../src/services/azurite';
import { assertPortFree, freePort, waitForPort } from '../src/services/ports';
import {
  cleanUpStarts,
  persistentArgs,
  repoRoot,
  start,
  startScript,
  tracked,
  type StartRun,
} from './support/startProcess';

/**
 * `npm start` without the build step: the compiled entry point run in the repository's function app, as a
 * child process (built by `npm test`).
 */
type Run = StartRun;

async function waitForOutput(run: Run, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(run.output());
    if (match) return match[0];
    if (run.child.exitCode !== null)
      throw new Error(`start exited with ${run.child.exitCode}: ${run.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms: ${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterEach(cleanUpStarts);

async function waitUntilFree(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertPortFree(port, 'after the host died');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function stopCleanly(run: Run, ports: number[]): Promise<void> {
  run.child.kill('SIGINT');
  expect(await run.exited).toBe(0);
  for (const port of ports) await assertPortFree(port, 'after stop');
}

describe('npm start (packages/devhost/dist/start.js)', () => {
  it('prints one ready line with the URLs, serves the host, and stops everything on SIGINT', async () => {
    const [host, blob, queue, table, cosmos] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const run = start([
      '--port',
      String(host),
      '--azurite-ports',
      `${blob},${queue},${table}`,
      '--cosmos-port',
      String(cosmos),
      '--azurite-location',
      'memory',
    ]);
    const ready = await waitForOutput(run, /^devhost ready in .*$/m);
    expect(ready).toContain(`functions http://127.0.0.1:${host}/api`);
    expect(ready).toContain(`site http://127.0.0.1:${host}/api/site/`);
    expect(ready).toContain(`console http://127.0.0.1:${host}/api/site/console.html`);
    expect(ready).toContain(`status http://127.0.0.1:${host}/admin/host/status`);
    expect(ready).toContain(`Azurite http://127.0.0.1:${blob}/devstoreaccount1`);
    expect(ready).toContain(`Cosmos https://127.0.0.1:${cosmos}`);
    expect(run.output().match(/devhost ready/g)).toHaveLength(1);
    const status = await fetch(`http://127.0.0.1:${host}/admin/host/status`);
    expect(await status.json()).toEqual({ state: 'Running' });

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('devhost: stopped');
    for (const port of [host, blob, queue, table, cosmos]) await assertPortFree(port, 'after stop');
  });

  it('keeps every acknowledged blob write and delete when Ctrl-C stops the whole process group at once', async () => {
    const { args, ports } = await persistentArgs();
    const [, blob, queue, table] = ports;
    const container = () =>
      BlobServiceClient.fromConnectionString(
        azuriteConnectionString({ blob, queue, table }),
      ).getContainerClient('ctrl-c');
    const bytes = (name: string) => Buffer.from(`the bytes of ${name}`);

    // A blob that is on disk before the interrupted run: a clean stop saves it.
    const first = start(args);
    await waitForOutput(first, /^devhost ready in .*$/m);
    await container().create();
    await container().uploadBlockBlob('deleted.txt', bytes('deleted.txt'), bytes('deleted.txt').length);
    await stopCleanly(first, ports);

    // Writes and a delete acknowledged right before Ctrl-C, which the terminal sends to every process of the
    // foreground group: the host and whatever it started without a group of its own.
    const second = start(args, { ownGroup: true });
    await waitForOutput(second, /^devhost ready in .*$/m);
    const written = ['a.txt', 'b.txt', 'c.txt'];
    for (const name of written) await container().uploadBlockBlob(name, bytes(name), bytes(name).length);
    await container().deleteBlob('deleted.txt');
    process.kill(-(second.child.pid ?? 0), 'SIGINT');
    expect(await second.exited).toBe(0);
    for (const port of ports) await waitUntilFree(port, 15_000);

    const third = start(args);
    await waitForOutput(third, /^devhost ready in .*$/m);
    const names: string[] = [];
    for await (const item of container().listBlobsFlat()) names.push(item.name);
    expect(names.sort()).toEqual(written);
    for (const name of written)
      expect(await container().getBlobClient(name).downloadToBuffer()).toEqual(bytes(name));
    await stopCleanly(third, ports);
  });

  it('refuses a busy port with a message naming it and exit code 1', async () => {
    const busy = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const run = start(['--port', String(port)]);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(
        `devhost: could not start: Port ${port} (Functions host) is already in use: stop whatever listens there or choose another port.`,
      );
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it('rejects a malformed option with its name', async () => {
    const run = start(['--azurite-ports', '1,2']);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(
      'Expected three ports (blob,queue,table) for --azurite-ports but received "1,2"',
    );
  });

  it('restarts with the same command after the host was killed (SIGKILL): its Azurite exits with it', async () => {
    const { args, ports } = await persistentArgs();
    const first = start(args);
    await waitForOutput(first, /^devhost ready in .*$/m);
    first.child.kill('SIGKILL');
    await first.exited;
    // Its Azurite (the child holding the Queue and Table ports) exits on its own: nothing outlives the host.
    const [, , queue, table] = ports;
    await waitUntilFree(queue, 15_000);
    await waitUntilFree(table, 15_000);

    const second = start(args);
    await waitForOutput(second, /^devhost ready in .*$/m);
    expect(second.output()).not.toContain('already in use');
    await stopCleanly(second, ports);
  });

  it('stops when its launcher is killed (SIGKILL of npm start), so the same command starts again', async () => {
    const { args, ports } = await persistentArgs();
    // As `npm start` runs it: npm (here a node process) → sh → the host.
    const command = `true && ${[process.execPath, startScript, ...args].map((word) => `'${word}'`).join(' ')}`;
    const launcherCode = `require('child_process').spawn('sh', ['-c', ${JSON.stringify(command)}], { stdio: 'inherit' }); setInterval(() => {}, 1000);`;
    const launcher = tracked(
      spawn(process.execPath, ['-e', launcherCode], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    await waitForOutput(launcher, /^devhost ready in .*$/m);
    launcher.child.kill('SIGKILL');
    await launcher.exited;
    // The host notices, stops, and its Azurite with it: every port is free again.
    for (const port of ports) await waitUntilFree(port, 20_000);

    const second = start(args);
    await waitForOutput(second, /^devhost ready in .*$/m);
    expect(second.output()).not.toContain('already in use');
    await stopCleanly(second, ports);
  });

  it('stops an Azurite an earlier run left on the same data folder (named in its pid file) and starts', async () => {
    const { args, ports, location } = await persistentArgs();
    const [, blob, queue, table] = ports;
    // What an earlier host left behind when it was killed: Azurite itself, detached, on the Queue and Table
    // ports this start wants, with its pid in the data folder.
    await mkdir(location, { recursive: true });
    const azuriteMain = path.join(
      path.dirname(require.resolve('azurite/package.json')),
      'dist/src/azurite.js',
    );
    const stale = spawn(
      process.execPath,
      [
        azuriteMain,
        '--silent',
        '--skipApiVersionCheck',
        '--blobPort',
        String(blob),
        '--queuePort',
        String(queue),
        '--tablePort',
        String(table),
        '--location',
        location,
      ],
      { detached: true, stdio: 'ignore' },
    );
    tracked(stale);
    await waitForPort(table, 30_000, 'stale Azurite');
    await writeFile(pidFile(location), `${stale.pid}\n`);

    const run = start(args);
    await waitForOutput(run, /^devhost ready in .*$/m);
    expect(stale.exitCode !== null || stale.signalCode !== null).toBe(true);
    await stopCleanly(run, ports);
  });

  it('refuses a second host on a data folder a running host uses, and leaves the first one running', async () => {
    const { args, ports, location } = await persistentArgs();
    const first = start(args);
    await waitForOutput(first, /^devhost ready in .*$/m);
    const other = await persistentArgs();
    const second = start([...other.args.slice(0, -1), location]);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(
      `The data folder ${location} is in use by another local host (pid ${first.child.pid})`,
    );
    const status = await fetch(`http://127.0.0.1:${ports[0]}/admin/host/status`);
    expect(await status.json()).toEqual({ state: 'Running' });
    await stopCleanly(first, ports);
  });
});
