import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pidFile, startAzurite } from '../../src/services/azurite';
import { freePort } from '../../src/services/ports';

const folders: string[] = [];
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

describe('startAzurite with a data folder', () => {
  it('starts on a fresh clone, where the data folder does not exist yet, and records its pid there', async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'devhost-azurite-'));
    folders.push(parent);
    const location = path.join(parent, 'not', 'yet', '.azurite');
    expect(existsSync(location)).toBe(false);
    const azurite = await startAzurite({
      ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
      location,
    });
    try {
      const record = JSON.parse(await readFile(pidFile(location), 'utf8')) as {
        host: number;
        azurite: number;
      };
      expect(record.host).toBe(process.pid);
      expect(record.azurite).toBeGreaterThan(0);
    } finally {
      await azurite.stop();
    }
    expect(existsSync(pidFile(location))).toBe(false);
  });
});

describe('an Azurite that dies under the host', () => {
  it('is reported once, loudly, naming the signal; a stop() is not reported', async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'devhost-azurite-'));
    folders.push(parent);
    const location = path.join(parent, '.azurite');
    const reports: string[] = [];
    const azurite = await startAzurite({
      ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
      location,
      onExit: (message) => reports.push(message),
    });
    const record = JSON.parse(await readFile(pidFile(location), 'utf8')) as { azurite: number };
    const reported = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (reports.length > 0) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    process.kill(record.azurite, 'SIGKILL');
    await reported;
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(
      /^Azurite \(pid \d+\) exited unexpectedly \(SIGKILL\).*until the local host is restarted$/,
    );
    await azurite.stop();

    const quiet: string[] = [];
    const second = await startAzurite({
      ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
      onExit: (message) => quiet.push(message),
    });
    await second.stop();
    expect(quiet).toEqual([]);
  });
});
