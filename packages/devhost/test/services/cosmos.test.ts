import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient, type Container } from '@azure/cosmos';
import { afterEach, describe, expect, it } from 'vitest';
import { EMULATOR_KEY, startCosmos, type RunningCosmos } from '../../src/services/cosmos';
import { freePort } from '../../src/services/ports';

const running: RunningCosmos[] = [];
const folders: string[] = [];

async function open(location: string | undefined): Promise<{ cosmos: RunningCosmos; container: Container }> {
  const cosmos = await startCosmos(await freePort(), location === undefined ? {} : { location });
  running.push(cosmos);
  const client = new CosmosClient({
    endpoint: cosmos.endpoint,
    key: EMULATOR_KEY,
    agent: new https.Agent({ rejectUnauthorized: false }),
  });
  const { database } = await client.databases.createIfNotExists({ id: 'MediaCorp' });
  const { container } = await database.containers.createIfNotExists({
    id: 'Images',
    partitionKey: { paths: ['/id'] },
  });
  return { cosmos, container };
}

async function stop(cosmos: RunningCosmos): Promise<void> {
  running.splice(running.indexOf(cosmos), 1);
  await cosmos.stop();
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((cosmos) => cosmos.stop()));
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'devhost-cosmos-'));
  folders.push(folder);
  return folder;
}

async function ids(container: Container): Promise<string[]> {
  const { resources } = await container.items.query<{ id: string }>('SELECT c.id FROM c').fetchAll();
  return resources.map((item) => item.id).sort();
}

describe('Cosmos server persistence (journal under the data folder)', () => {
  it('brings back the latest state of every document after a restart, deletes included', async () => {
    const location = await tempFolder();
    const first = await open(location);
    await first.container.items.create({ id: 'created', n: 1 });
    await first.container.items.upsert({ id: 'upserted', n: 1 });
    await first.container.items.upsert({ id: 'upserted', n: 2 });
    const { resource } = await first.container.items.create({ id: 'replaced', n: 1 });
    await first.container.item('replaced', 'replaced').replace(
      { ...resource!, n: 3 },
      {
        accessCondition: { type: 'IfMatch', condition: resource!._etag },
      },
    );
    await first.container.items.create({ id: 'patched', n: 1 });
    await first.container.item('patched', 'patched').patch([{ op: 'set', path: '/n', value: 4 }]);
    await first.container.items.create({ id: 'deleted', n: 1 });
    await first.container.item('deleted', 'deleted').delete();
    // A refused conditional write changes nothing, and is not journaled.
    await expect(
      first.container.item('created', 'created').replace(
        { id: 'created', n: 99 },
        {
          accessCondition: { type: 'IfMatch', condition: '"stale"' },
        },
      ),
    ).rejects.toMatchObject({ code: 412 });
    await stop(first.cosmos);

    const second = await open(location);
    expect(await ids(second.container)).toEqual(['created', 'patched', 'replaced', 'upserted']);
    const values = await Promise.all(
      ['created', 'upserted', 'replaced', 'patched'].map(async (id) => {
        const { resource: item } = await second.container.item(id, id).read<{ n: number }>();
        return item?.n;
      }),
    );
    expect(values).toEqual([1, 2, 3, 4]);
    // The restored state is journaled compactly: one database, one container, four documents.
    const journal = (await readFile(path.join(location, 'journal.jsonl'), 'utf8')).trim().split('\n');
    expect(journal).toHaveLength(6);
  });

  it('keeps nothing without a data folder (tests)', async () => {
    const first = await open(undefined);
    await first.container.items.create({ id: 'ephemeral' });
    await stop(first.cosmos);
    const second = await open(undefined);
    expect(await ids(second.container)).toEqual([]);
  });
});
