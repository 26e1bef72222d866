import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createEventGridPublisher,
  type BlobCreatedEvent,
  type EventGridPublisher,
} from '../../src/eventgrid';

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

  notifications(): BlobCreatedEvent[] {
    return this.received
      .filter((r) => r.eventType === 'Notification')
      .map((r) => (r.body as BlobCreatedEvent[])[0]!);
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const connectionString = inject('azuriteConnectionString');
let webhook: TestWebhook;
let containerName: string;
let tableName: string;
let container: ContainerClient;
const publishers: EventGridPublisher[] = [];
const logs: string[] = [];

function publisher(retryDelaysMs = [20, 20]): EventGridPublisher {
  const created = createEventGridPublisher({
    connectionString,
    container: containerName,
    webhookUrl: webhook.url,
    tableName,
    pollIntervalMs: 60_000, // the tests drive polling with pollOnce()
    retryDelaysMs,
    log: (line) => logs.push(line),
  });
  publishers.push(created);
  return created;
}

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function deliverPending(target: EventGridPublisher): Promise<void> {
  await target.pollOnce();
  await target.idle();
}

beforeAll(async () => {
  webhook = new TestWebhook();
  await webhook.listen();
});

afterAll(async () => {
  await webhook.close();
});

afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.stop()));
  webhook.received.length = 0;
  webhook.failWith.length = 0;
  logs.length = 0;
});

async function freshContainer(): Promise<void> {
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  containerName = `unprocessed-${id}`;
  tableName = `ledger${id}`;
  container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
  await container.createIfNotExists();
}

describe('local Event Grid publisher', () => {
  it('validates the subscription, then delivers one BlobCreated event with the real schema per upload', async () => {
    await freshContainer();
    const p = publisher();
    await p.start();
    const name = 'users/42/my cat.jpg';
    const uploaded = await container.getBlockBlobClient(name).uploadData(Buffer.from('jpeg bytes'), {
      blobHTTPHeaders: { blobContentType: 'image/jpeg' },
    });
    await deliverPending(p);

    expect(webhook.received[0]?.eventType).toBe('SubscriptionValidation');
    const events = webhook.notifications();
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event).toEqual({
      topic:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
      subject: `/blobServices/default/containers/${containerName}/blobs/users/42/my%20cat.jpg`,
      eventType: 'Microsoft.Storage.BlobCreated',
      eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      data: {
        api: 'PutBlob',
        clientRequestId: expect.any(String),
        requestId: expect.any(String),
        eTag: uploaded.etag,
        contentType: 'image/jpeg',
        contentLength: 10,
        blobType: 'BlockBlob',
        url: container.getBlobClient(name).url,
        sequencer: expect.stringMatching(/^[0-9a-f]{32}$/),
        storageDiagnostics: { batchId: expect.any(String) },
      },
      dataVersion: '',
      metadataVersion: '1',
    });
    expect(webhook.received.find((r) => r.eventType === 'Notification')?.deliveryCount).toBe('0');
    // Nothing changed: another pass delivers nothing.
    await deliverPending(p);
    expect(webhook.notifications()).toHaveLength(1);
  });

  it('raises a second event with a greater sequencer when a blob is overwritten, and tells Put Block List apart', async () => {
    await freshContainer();
    const p = publisher();
    await p.start();
    const blob = container.getBlockBlobClient('photo.jpg');
    await blob.uploadData(Buffer.from('first'));
    await deliverPending(p);
    const blockId = Buffer.from('block-0001').toString('base64');
    await blob.stageBlock(blockId, Buffer.from('second version'), 14);
    const committed = await blob.commitBlockList([blockId]);
    await deliverPending(p);

    const [first, second] = webhook.notifications();
    expect(first?.data.api).toBe('PutBlob');
    expect(second?.data.api).toBe('PutBlockList');
    expect(second?.data.eTag).toBe(committed.etag);
    expect(second?.data.contentLength).toBe(14);
    expect(second!.data.sequencer > first!.data.sequencer).toBe(true);
  });

  it('does not redeliver after a restart, and still sees what changed while it was down', async () => {
    await freshContainer();
    const firstRun = publisher();
    await firstRun.start();
    await container.getBlockBlobClient('a.jpg').uploadData(Buffer.from('a'));
    await deliverPending(firstRun);
    await firstRun.stop();
    await container.getBlockBlobClient('b.jpg').uploadData(Buffer.from('b'));

    const secondRun = publisher();
    await secondRun.start();
    await secondRun.idle();
    const subjects = webhook.notifications().map((event) => event.subject.split('/').at(-1));
    expect(subjects).toEqual(['a.jpg', 'b.jpg']);
  });

  it('redelivers, after a restart, the same event it was still retrying when stopped', async () => {
    await freshContainer();
    const firstRun = publisher([60_000]);
    await firstRun.start();
    webhook.failWith.push(500);
    await container.getBlockBlobClient('pending.jpg').uploadData(Buffer.from('p'));
    await firstRun.pollOnce();
    await waitUntil(() => webhook.notifications().length === 1);
    await firstRun.stop(); // while waiting a minute before the second attempt

    const secondRun = publisher();
    await secondRun.start();
    await secondRun.idle();
    const [failed, redelivered] = webhook.notifications();
    expect(redelivered?.id).toBe(failed?.id);
    expect(redelivered?.data.sequencer).toBe(failed?.data.sequencer);
  });

  it('retries a failed delivery with backoff and counts attempts', async () => {
    await freshContainer();
    const p = publisher([10, 10, 10]);
    await p.start();
    webhook.failWith.push(500, 503);
    await container.getBlockBlobClient('retry.jpg').uploadData(Buffer.from('r'));
    await deliverPending(p);

    const attempts = webhook.received.filter((r) => r.eventType === 'Notification');
    expect(attempts.map((r) => r.deliveryCount)).toEqual(['0', '1', '2']);
    const ids = new Set(webhook.notifications().map((event) => event.id));
    expect(ids.size).toBe(1);
  });

  it('dead-letters (logs and drops) an event after the last attempt', async () => {
    await freshContainer();
    const p = publisher([5]);
    await p.start();
    webhook.failWith.push(500, 500);
    await container.getBlockBlobClient('doomed.jpg').uploadData(Buffer.from('d'));
    await deliverPending(p);

    expect(webhook.notifications()).toHaveLength(2);
    expect(
      logs.some((line) =>
        /dead-letter: event .* for .*doomed\.jpg dropped after 2 attempts \(last outcome: HTTP 500\)/.test(
          line,
        ),
      ),
    ).toBe(true);
    await deliverPending(p);
    expect(webhook.notifications()).toHaveLength(2);
  });
});
