import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/** The compiled CLIs as `npm start`/`npm run …` run them (built by `npm test`). */
const dist = path.resolve(__dirname, '../../dist');
const fixtureApp = path.resolve(__dirname, '../fixtures/basic-app');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const file = path.join(dist, script);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build (npm test does)`);
  const child = spawn(process.execPath, [file, ...args], {
    cwd: fixtureApp,
    env: { ...process.env, DEVHOST_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('every CLI', () => {
  const clis: Array<[string, string]> = [
    ['start.js', 'npm start'],
    ['cli/upload.js', 'npm run upload'],
    ['cli/status.js', 'npm run status'],
    ['cli/reprocess.js', 'npm run reprocess'],
  ];

  it('prints its usage for --help and -h and exits 0', async () => {
    for (const [script, command] of clis) {
      for (const flag of ['--help', '-h']) {
        const run = await cli(script, [flag]);
        expect(run.code, `${script} ${flag}: ${run.stderr}`).toBe(0);
        expect(run.stdout.startsWith(`usage: ${command}`), run.stdout).toBe(true);
      }
    }
  });

  it('exits 1 with the reason and the usage when the blob or file is missing', async () => {
    for (const [script, command] of clis.slice(1)) {
      const run = await cli(script, []);
      expect(run.code, script).toBe(1);
      expect(run.stderr).toContain('received none');
      expect(run.stderr).toContain(`usage: ${command}`);
    }
  });
});

describe('npm run upload', () => {
  it("uploads a folder's images, lists what it skipped, and prints a status command a shell can run", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'devhost-upload-cli-'));
    const folder = path.join(root, 'trip');
    mkdirSync(folder);
    writeFileSync(path.join(folder, "it's a cat.jpg"), Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
    writeFileSync(path.join(folder, 'notes.txt'), 'not a photo');
    writeFileSync(path.join(folder, 'empty.png'), '');
    const ports = inject('azuritePorts');
    const container = `cli-${Date.now().toString(36)}`;

    const run = await cli(
      'cli/upload.js',
      [
        folder,
        '--prefix',
        'users/42',
        '--port',
        '7999',
        '--azurite-ports',
        `${ports.blob},${ports.queue},${ports.table}`,
      ],
      { UNPROCESSED_CONTAINER: container },
    );

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `Skipped 2 files: ${path.join(folder, 'empty.png')} (empty), ${path.join(folder, 'notes.txt')} (not an image)`,
    );
    expect(run.stdout).toContain("  status: http://127.0.0.1:7999/api/images/users/42/it's%20a%20cat.jpg");
    expect(run.stdout).toContain(
      "Done. Follow one with: npm run status -- 'users/42/it'\\''s a cat.jpg' --port 7999",
    );
    const blobs = BlobServiceClient.fromConnectionString(
      inject('azuriteConnectionString'),
    ).getContainerClient(container);
    const names: string[] = [];
    for await (const blob of blobs.listBlobsFlat()) names.push(blob.name);
    expect(names).toEqual(["users/42/it's a cat.jpg"]);
  });
});

describe('npm run status and npm run reprocess against a host', () => {
  /** Stands in for the app's two endpoints (tested for real in the app's suite) and records what was asked. */
  const requests: Array<{ method: string; url: string }> = [];
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      requests.push({ method: request.method ?? '', url: request.url ?? '' });
      response.setHeader('content-type', 'application/json');
      if (request.method === 'POST' && request.url?.startsWith('/api/reprocess/')) {
        response.statusCode = 202;
        response.end(
          JSON.stringify({
            id: 'rep-0123',
            statusUrl: `${base}/api/console/instances/rep-0123`,
          }),
        );
        return;
      }
      response.end(
        JSON.stringify({
          blobName: "users/42/it's a cat.jpg",
          instanceId: 'img-0123',
          runtimeStatus: 'Completed',
          blob: { eTag: '"0x1"', contentLength: 4, contentType: 'image/jpeg' },
          document: null,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('status takes the status URL upload printed, and says "no document" with the command that writes it', async () => {
    requests.length = 0;
    const port = new URL(base).port;
    const run = await cli('cli/status.js', [`${base}/api/images/users/42/it's%20a%20cat.jpg`]);
    expect(run.code, run.stderr).toBe(0);
    expect(requests).toEqual([{ method: 'GET', url: "/api/images/users/42/it's%20a%20cat.jpg" }]);
    expect(run.stdout).toMatch(
      new RegExp(
        `^Document +no document: the run ended Completed without one .*; write it again with npm run reprocess -- 'users/42/it'\\\\''s a cat\\.jpg' --port ${port}$`,
        'm',
      ),
    );
  });

  it('reprocess posts to /api/reprocess/{blob} with the chosen sizes and says how to follow the run', async () => {
    requests.length = 0;
    const port = new URL(base).port;
    const run = await cli('cli/reprocess.js', [
      "users/42/it's a cat.jpg",
      '--sizes',
      'thumb',
      '--port',
      port,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(requests).toEqual([
      { method: 'POST', url: "/api/reprocess/users/42/it's%20a%20cat.jpg?sizes=thumb" },
    ]);
    expect(run.stdout).toContain("Reprocessing users/42/it's a cat.jpg: orchestration rep-0123 started");
    expect(run.stdout).toContain(
      `Follow it with: npm run status -- 'users/42/it'\\''s a cat.jpg' --port ${port}`,
    );
  });
});
