import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createEventGridPublisher,
  describeBlobWith,
  emulatorContainer,
  startBlobEventProxy,
  type BlobEventProxy,
  type BlobStorageEvent,
  type EventGridPublisher,
} from '../../src/eventgrid';
import { freePort } from '../../src/services/ports';

interface Received {
  eventType: string | undefined;
  deliveryCount: string | undefined;
  body: unknown;
}

/** A local webhook that validates like the Functions host and answers notifications with a chosen status. */
class TestWebhook {
  readonly received: Received[] = [];
  /** Statuses to answer the next notifications with (then 202). */
  readonly failWith: number[] = [];
  #server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<{
        data: { validationCode?: string };
      }>;
      const eventType = request.headers['aeg-event-type'] as string | undefined;
      this.received.push({
        eventType,
        deliveryCount: request.headers['aeg-delivery-count'] as string | undefined,
        body,
      });
      if (eventType === 'SubscriptionValidation') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ validationResponse: body[0]?.data.validationCode }));
        return;
      }
      response.writeHead(this.failWith.shift() ?? 202);
      response.end();
    });
  });

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/runtime/webhooks/eventgrid?functionName=onImageUploaded`;
  }

  notifications(): BlobStorageEvent[] {
    return this.received
      .filter((r) => r.eventType === 'Notification')
      .map((r) => (r.body as BlobStorageEvent[])[0]!);
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const directConnectionString = inject('azuriteConnectionString');
let webhook: TestWebhook;
let containerName: string;
let tableName: string;
/** The container as clients see it: through the proxy. */
let container: ContainerClient;
let proxyConnectionString: string;
const running: Array<{ publisher: EventGridPublisher; proxy: BlobEventProxy }> = [];
const logs: string[] = [];

function blobTarget(): { host: string; port: number } {
  const endpoint = /BlobEndpoint=([^;]+)/.exec(directConnectionString)![1]!;
  const url = new URL(endpoint);
  return { host: url.hostname, port: Number(url.port) };
}

/** The local topic as the stack wires it: the storage proxy in front of Azurite, feeding the publisher. */
async function topic(retryDelaysMs = [20, 20], proxyPort = 0): Promise<EventGridPublisher> {
  const direct = BlobServiceClient.fromConnectionString(directConnectionString);
  const publisher = createEventGridPublisher({
    connectionString: directConnectionString,
    container: containerName,
    webhookUrl: webhook.url,
    tableName,
    retryDelaysMs,
    log: (line) => logs.push(line),
    reconcile: emulatorContainer(direct, containerName, proxyPort),
  });
  // As the stack does: the ledger is open and reconciled before the proxy accepts a write.
  await publisher.open();
  const proxy = await startBlobEventProxy({
    port: proxyPort,
    target: blobTarget(),
    describeBlob: describeBlobWith(direct),
    onWrite: (write) => publisher.publish(write),
    onPropertyWrite: (write) => publisher.account(write),
    onError: (line) => logs.push(line),
  });
  await publisher.start();
  running.push({ publisher, proxy });
  proxyConnectionString = directConnectionString.replace(
    /BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/,
    `BlobEndpoint=http://127.0.0.1:${proxy.port}`,
  );
  container = BlobServiceClient.fromConnectionString(proxyConnectionString).getContainerClient(containerName);
  return publisher;
}

async function stopTopic(): Promise<void> {
  for (const { publisher, proxy } of running.splice(0)) {
    await proxy.close();
    await publisher.stop();
  }
}

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  webhook = new TestWebhook();
  await webhook.listen();
});

afterAll(async () => {
  await webhook.close();
});

afterEach(async () => {
  await stopTopic();
  webhook.received.length = 0;
  webhook.failWith.length = 0;
  logs.length = 0;
});

async function freshContainer(): Promise<void> {
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  containerName = `unprocessed-${id}`;
  tableName = `ledger${id}`;
  await BlobServiceClient.fromConnectionString(directConnectionString)
    .getContainerClient(containerName)
    .createIfNotExists();
}

const apis = (): string[] =>
  webhook.notifications().map((event) => `${event.eventType.split('.').at(-1)}:${event.data.api}`);

describe('local Event Grid: the storage proxy and the publisher', () => {
  it('validates the subscription, then delivers one BlobCreated event with the real schema per Put Blob', async () => {
    await freshContainer();
    const p = await topic();
    const name = 'users/42/my cat.jpg';
    const uploaded = await container.getBlockBlobClient(name).uploadData(Buffer.from('jpeg bytes'), {
      blobHTTPHeaders: { blobContentType: 'image/jpeg' },
    });
    await p.idle();

    expect(webhook.received[0]?.eventType).toBe('SubscriptionValidation');
    const events = webhook.notifications();
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      topic:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
      subject: `/blobServices/default/containers/${containerName}/blobs/users/42/my%20cat.jpg`,
      eventType: 'Microsoft.Storage.BlobCreated',
      eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      data: {
        api: 'PutBlob',
        clientRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        eTag: uploaded.etag,
        contentType: 'image/jpeg',
        contentLength: 10,
        blobType: 'BlockBlob',
        url: container.getBlobClient(name).url,
        sequencer: '00000000000000000000000000000001',
        storageDiagnostics: { batchId: expect.any(String) },
      },
      dataVersion: '',
      metadataVersion: '1',
    });
    expect(events[0]?.data.requestId).toBe(uploaded.requestId);
    expect(events[0]?.data.clientRequestId).toBe(uploaded.clientRequestId);
    expect(webhook.received.find((r) => r.eventType === 'Notification')?.deliveryCount).toBe('0');
  });

  it('raises nothing for Put Block, Set Blob Metadata/Properties/Tier, leases, snapshots and reads', async () => {
    await freshContainer();
    const p = await topic();
    const blob = container.getBlockBlobClient('photo.jpg');
    await blob.uploadData(Buffer.from('content'), { blobHTTPHeaders: { blobContentType: 'image/jpeg' } });
    await blob.setMetadata({ source: 'sftp' });
    await blob.setHTTPHeaders({ blobContentType: 'image/jpeg', blobCacheControl: 'no-cache' });
    await blob.setAccessTier('Cool');
    const lease = blob.getBlobLeaseClient();
    await lease.acquireLease(15);
    await lease.releaseLease();
    await blob.createSnapshot();
    await blob.stageBlock(Buffer.from('block-0001').toString('base64'), Buffer.from('uncommitted'), 11);
    await blob.setTags({ a: 'b' });
    await blob.downloadToBuffer();
    await blob.getProperties();
    await p.idle();

    expect(apis()).toEqual(['BlobCreated:PutBlob']);
  });

  it('raises BlobCreated for Put Block List (length read back), and Copy Blob (async and sync), in sequencer order', async () => {
    await freshContainer();
    const p = await topic();
    const blob = container.getBlockBlobClient('photo.jpg');
    await blob.uploadData(Buffer.from('first'));
    const blockId = Buffer.from('block-0001').toString('base64');
    await blob.stageBlock(blockId, Buffer.from('second version'), 14);
    const committed = await blob.commitBlockList([blockId], {
      blobHTTPHeaders: { blobContentType: 'image/png' },
    });
    const copy = container.getBlockBlobClient('copy.jpg');
    const started = await copy.beginCopyFromURL(blob.url);
    const copied = await started.pollUntilDone();
    const synced = await container.getBlockBlobClient('sync.jpg').syncCopyFromURL(blob.url);
    await p.idle();

    const events = webhook.notifications();
    expect(apis()).toEqual([
      'BlobCreated:PutBlob',
      'BlobCreated:PutBlockList',
      'BlobCreated:CopyBlob',
      'BlobCreated:CopyBlob',
    ]);
    const [first, second, third, fourth] = events;
    expect(second?.data).toMatchObject({ eTag: committed.etag, contentLength: 14, contentType: 'image/png' });
    expect(second!.data.sequencer > first!.data.sequencer).toBe(true);
    expect(third?.subject.endsWith('/blobs/copy.jpg')).toBe(true);
    expect(third?.data).toMatchObject({ eTag: copied.etag, contentLength: 14 });
    expect(fourth?.data).toMatchObject({ eTag: synced.etag, contentLength: 14 });
  });

  it('raises BlobDeleted for Delete Blob with a later sequencer, and nothing for a failed delete or another container', async () => {
    await freshContainer();
    const p = await topic();
    const blob = container.getBlockBlobClient('gone.jpg');
    await blob.uploadData(Buffer.from('bytes'), { blobHTTPHeaders: { blobContentType: 'image/jpeg' } });
    await blob.delete();
    await expect(blob.delete()).rejects.toMatchObject({ statusCode: 404 });
    const other = BlobServiceClient.fromConnectionString(proxyConnectionString).getContainerClient(
      `${containerName}-x`,
    );
    await other.createIfNotExists();
    await other.getBlockBlobClient('elsewhere.jpg').uploadData(Buffer.from('x'));
    await other.deleteIfExists();
    await blob.uploadData(Buffer.from('again'));
    await p.idle();

    expect(apis()).toEqual(['BlobCreated:PutBlob', 'BlobDeleted:DeleteBlob', 'BlobCreated:PutBlob']);
    const [created, deleted, recreated] = webhook.notifications();
    expect(deleted).toMatchObject({
      subject: `/blobServices/default/containers/${containerName}/blobs/gone.jpg`,
      eventType: 'Microsoft.Storage.BlobDeleted',
      data: { api: 'DeleteBlob', contentType: 'image/jpeg', blobType: 'BlockBlob', url: blob.url },
    });
    expect(deleted?.data).not.toHaveProperty('eTag');
    expect(deleted?.data).not.toHaveProperty('contentLength');
    expect(created!.data.sequencer < deleted!.data.sequencer).toBe(true);
    expect(deleted!.data.sequencer < recreated!.data.sequencer).toBe(true);
  });

  it('raises one BlobDeleted per blob a Blob Batch deleted, none for a failed sub-request or a batch Set Blob Tier', async () => {
    await freshContainer();
    const p = await topic();
    for (const name of ['b1.jpg', 'b2 x.jpg', 'b3.jpg', 'kept.jpg'])
      await container.getBlockBlobClient(name).uploadData(Buffer.from(name), {
        blobHTTPHeaders: { blobContentType: 'image/jpeg' },
      });
    const batch = container.getBlobBatchClient();
    const tiered = await batch.setBlobsAccessTier([container.getBlobClient('kept.jpg')], 'Cool');
    expect(tiered.subResponsesSucceededCount).toBe(1);
    const deleted = await batch.deleteBlobs(
      ['b1.jpg', 'missing.jpg', 'b2 x.jpg'].map((name) => container.getBlobClient(name)),
    );
    expect(deleted.subResponsesSucceededCount).toBe(2);
    // Account-scoped batch (POST /{account}?comp=batch) too.
    const account = BlobServiceClient.fromConnectionString(proxyConnectionString).getBlobBatchClient();
    await account.deleteBlobs([container.getBlobClient('b3.jpg')]);
    await p.idle();

    const remaining: string[] = [];
    for await (const blob of container.listBlobsFlat()) remaining.push(blob.name);
    expect(remaining).toEqual(['kept.jpg']);
    const events = webhook.notifications();
    expect(apis()).toEqual([
      'BlobCreated:PutBlob',
      'BlobCreated:PutBlob',
      'BlobCreated:PutBlob',
      'BlobCreated:PutBlob',
      'BlobDeleted:DeleteBlob',
      'BlobDeleted:DeleteBlob',
      'BlobDeleted:DeleteBlob',
    ]);
    const deletes = events.slice(4);
    expect(deletes.map((event) => event.subject)).toEqual(
      ['b1.jpg', 'b2%20x.jpg', 'b3.jpg'].map(
        (name) => `/blobServices/default/containers/${containerName}/blobs/${name}`,
      ),
    );
    expect(deletes[0]?.data).toMatchObject({
      api: 'DeleteBlob',
      contentType: 'image/jpeg',
      blobType: 'BlockBlob',
      url: container.getBlobClient('b1.jpg').url,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const created = events[0]!.data.sequencer;
    expect(deletes.every((event) => event.data.sequencer > created)).toBe(true);
  });

  it('names the blob as the service stores it: a backslash in the addressed name becomes a slash', async () => {
    await freshContainer();
    const p = await topic();
    await container.getBlockBlobClient('t12/back\\slash.jpg').uploadData(Buffer.from('one'));
    await container.getBlockBlobClient('a\\b\\c.jpg').uploadData(Buffer.from('two'));
    await container.getBlockBlobClient('t12/back\\slash.jpg').delete();
    await p.idle();

    const stored: string[] = [];
    for await (const blob of container.listBlobsFlat()) stored.push(blob.name);
    expect(stored).toEqual(['a/b/c.jpg']);
    const prefix = `/blobServices/default/containers/${containerName}/blobs/`;
    expect(webhook.notifications().map((event) => [event.eventType, event.subject, event.data.url])).toEqual([
      [
        'Microsoft.Storage.BlobCreated',
        `${prefix}t12/back/slash.jpg`,
        container.getBlobClient('t12/back/slash.jpg').url,
      ],
      ['Microsoft.Storage.BlobCreated', `${prefix}a/b/c.jpg`, container.getBlobClient('a/b/c.jpg').url],
      [
        'Microsoft.Storage.BlobDeleted',
        `${prefix}t12/back/slash.jpg`,
        container.getBlobClient('t12/back/slash.jpg').url,
      ],
    ]);
  });

  it('numbers concurrent overwrites of one blob in the order the emulator committed them', async () => {
    await freshContainer();
    const p = await topic();
    const blob = container.getBlockBlobClient('race.jpg');
    await Promise.all(Array.from({ length: 8 }, (_, index) => blob.uploadData(Buffer.from(`v${index}`))));
    await p.idle();
    const events = webhook.notifications();
    expect(events).toHaveLength(8);
    const last = events.reduce((a, b) => (a.data.sequencer > b.data.sequencer ? a : b));
    const current = await blob.getProperties();
    expect(last.eventType === 'Microsoft.Storage.BlobCreated' && last.data.eTag).toBe(current.etag);
    expect(new Set(events.map((event) => event.data.sequencer)).size).toBe(8);
  });

  it('keeps sequencers growing across a restart', async () => {
    await freshContainer();
    const firstRun = await topic();
    await container.getBlockBlobClient('a.jpg').uploadData(Buffer.from('a'));
    await firstRun.idle();
    await stopTopic();
    const secondRun = await topic();
    await container.getBlockBlobClient('a.jpg').uploadData(Buffer.from('a2'));
    await secondRun.idle();
    const [before, after] = webhook.notifications();
    expect(before?.data.sequencer).toBe('00000000000000000000000000000001');
    expect(after?.data.sequencer).toBe('00000000000000000000000000000002');
  });

  it('on start, raises once the events of writes committed while it was not recording (a kill, or a write straight to the emulator)', async () => {
    await freshContainer();
    const direct =
      BlobServiceClient.fromConnectionString(directConnectionString).getContainerClient(containerName);
    const firstRun = await topic();
    await container.getBlockBlobClient('seen.jpg').uploadData(Buffer.from('s'));
    await container.getBlobClient('seen.jpg').setMetadata({ by: 'sftp' }); // no event, now or later
    await container.getBlockBlobClient('gone.jpg').uploadData(Buffer.from('g'));
    await container.getBlockBlobClient('overwritten.jpg').uploadData(Buffer.from('o'));
    await firstRun.idle();
    await stopTopic();
    expect(apis()).toEqual(['BlobCreated:PutBlob', 'BlobCreated:PutBlob', 'BlobCreated:PutBlob']);

    // Committed behind the topic's back, as a SIGKILL between Azurite's commit and the event's record leaves them.
    const missed = await direct.getBlockBlobClient('dir/missed one.jpg').uploadData(Buffer.from('m'));
    const overwritten = await direct.getBlockBlobClient('overwritten.jpg').uploadData(Buffer.from('o2'));
    await direct.deleteBlob('gone.jpg');
    webhook.received.length = 0;
    const secondRun = await topic();
    await secondRun.idle();
    const events = webhook.notifications();
    const byName = new Map(events.map((event) => [event.subject.split('/blobs/')[1], event]));
    expect(events).toHaveLength(3);
    expect(byName.get('dir/missed%20one.jpg')).toMatchObject({
      eventType: 'Microsoft.Storage.BlobCreated',
      data: { api: 'PutBlob', eTag: missed.etag, contentLength: 1, sequencer: '0'.repeat(31) + '1' },
    });
    expect(byName.get('overwritten.jpg')).toMatchObject({
      eventType: 'Microsoft.Storage.BlobCreated',
      data: { eTag: overwritten.etag, contentLength: 2, sequencer: '0'.repeat(31) + '2' },
    });
    expect(byName.get('gone.jpg')).toMatchObject({
      eventType: 'Microsoft.Storage.BlobDeleted',
      data: { api: 'DeleteBlob', sequencer: '0'.repeat(31) + '2' },
    });
    expect(logs.some((line) => line.startsWith('eventgrid: reconciled 3 committed write(s)'))).toBe(true);

    // Once: a third start finds everything accounted for.
    webhook.received.length = 0;
    await stopTopic();
    const thirdRun = await topic();
    await thirdRun.idle();
    expect(webhook.notifications()).toEqual([]);
  });

  it('redelivers, after a restart, the same event it was still retrying when stopped', async () => {
    await freshContainer();
    await topic([60_000]);
    webhook.failWith.push(500);
    await container.getBlockBlobClient('pending.jpg').uploadData(Buffer.from('p'));
    await waitUntil(() => webhook.notifications().length === 1);
    await stopTopic(); // while waiting a minute before the second attempt

    const secondRun = await topic();
    await secondRun.idle();
    const [failed, redelivered] = webhook.notifications();
    expect(redelivered?.id).toBe(failed?.id);
    expect(redelivered?.data.sequencer).toBe(failed?.data.sequencer);
  });

  it('retries a failed delivery with backoff and counts attempts', async () => {
    await freshContainer();
    const p = await topic([10, 10, 10]);
    webhook.failWith.push(500, 503);
    await container.getBlockBlobClient('retry.jpg').uploadData(Buffer.from('r'));
    await p.idle();

    const attempts = webhook.received.filter((r) => r.eventType === 'Notification');
    expect(attempts.map((r) => r.deliveryCount)).toEqual(['0', '1', '2']);
    expect(new Set(webhook.notifications().map((event) => event.id)).size).toBe(1);
  });

  it('dead-letters (logs and keeps out of delivery) an event after the last attempt', async () => {
    await freshContainer();
    const p = await topic([5]);
    webhook.failWith.push(500, 500);
    await container.getBlockBlobClient('doomed.jpg').uploadData(Buffer.from('d'));
    await p.idle();

    expect(webhook.notifications()).toHaveLength(2);
    expect(
      logs.some((line) =>
        /dead-letter: Microsoft\.Storage\.BlobCreated .* for .*doomed\.jpg dropped after 2 attempts \(last outcome: HTTP 500\)/.test(
          line,
        ),
      ),
    ).toBe(true);
    await stopTopic();
    const restarted = await topic();
    await restarted.idle();
    expect(webhook.notifications()).toHaveLength(2);
  });

  it('answers every request of concurrent writers that find a new container missing and create it (createIfNotExists)', async () => {
    await topic();
    const service = BlobServiceClient.fromConnectionString(proxyConnectionString);
    const fresh = service.getContainerClient(`new${randomUUID().replaceAll('-', '').slice(0, 20)}`);
    // As the app's first intermediate write does: Put Blob -> 404 ContainerNotFound -> create -> Put Blob.
    // The 404 arrives before the emulator has read the body; the proxy must still let the connection go on.
    const write = async (index: number, bytes: number) => {
      const blob = fresh.getBlockBlobClient(`b${index}`);
      const signal = () => AbortSignal.timeout(10_000);
      try {
        await blob.uploadData(Buffer.alloc(bytes), { abortSignal: signal() });
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
        await fresh.createIfNotExists({ abortSignal: signal() });
        await blob.uploadData(Buffer.alloc(bytes), { abortSignal: signal() });
      }
    };
    try {
      await Promise.all([write(1, 4_000_000), write(2, 3_000_000), write(3, 1_000_000)]);
      const names: string[] = [];
      for await (const item of fresh.listBlobsFlat()) names.push(item.name);
      expect(names.sort()).toEqual(['b1', 'b2', 'b3']);
    } finally {
      await BlobServiceClient.fromConnectionString(directConnectionString)
        .getContainerClient(fresh.containerName)
        .deleteIfExists();
    }
  });

  it('is transparent to CORS preflights: the emulator answers them by its own rules', async () => {
    await freshContainer();
    await topic();
    const direct = BlobServiceClient.fromConnectionString(directConnectionString);
    const origin = `http://127.0.0.1:${await freePort()}`;
    const properties = await direct.getProperties();
    await direct.setProperties({
      ...properties,
      cors: [
        {
          allowedOrigins: origin,
          allowedMethods: 'PUT,OPTIONS',
          allowedHeaders: 'x-ms-blob-type,content-type',
          exposedHeaders: 'etag',
          maxAgeInSeconds: 60,
        },
      ],
    });
    try {
      const preflight = (base: string): Promise<Response> =>
        fetch(`${base}/${containerName}/upload.jpg`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'PUT',
            'access-control-request-headers': 'x-ms-blob-type',
          },
        });
      const viaProxy = await preflight(container.url.replace(`/${containerName}`, ''));
      const straight = await preflight(direct.url.replace(/\/$/, ''));
      expect(viaProxy.status).toBe(200);
      expect(viaProxy.status).toBe(straight.status);
      expect(viaProxy.headers.get('access-control-allow-origin')).toBe(origin);
      expect(viaProxy.headers.get('access-control-allow-methods')).toBe(
        straight.headers.get('access-control-allow-methods'),
      );
    } finally {
      await direct.setProperties({ ...properties, cors: [] });
    }
  });
});
