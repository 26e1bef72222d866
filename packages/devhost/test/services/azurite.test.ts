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
