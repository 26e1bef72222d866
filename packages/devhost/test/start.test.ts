import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPortFree, freePort } from '../src/services/ports';

/**
 * `npm start` without the build step: the compiled entry point run in the repository's function app, as a
 * child process (built by `npm test`).
 */
const repoRoot = path.resolve(__dirname, '../../..');
const startScript = path.resolve(__dirname, '../dist/start.js');
const children: ChildProcess[] = [];

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(args: string[]): Run {
  if (!existsSync(startScript))
    throw new Error(`${startScript} is missing: run npm run build (npm test does)`);
  const child = spawn(process.execPath, [startScript, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

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

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

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
});
