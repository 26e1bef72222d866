import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ORCHESTRATOR_FUNCTION } from '../../src/domain/functionNames';
import { loadSettings } from '../../src/config/settings';
import { instanceIdFor } from '../../src/domain/ids';
import { newRunInput } from '../../src/domain/runInput';
import { createOnImageUploadedHandler } from '../../src/triggers/onImageUploaded';
import { recordingContext, startDurableApiStub, type DurableApiStub } from './support/durableApiStub';
import { TRANSIENT_RETRY } from '../../src/orchestrators/retryPolicy';

const settings = loadSettings({
  IMAGES_STORAGE: 'UseDevelopmentStorage=true',
  COSMOS__accountEndpoint: 'https://127.0.0.1:8081',
  COSMOS__key: 'emulator-key',
  IMAGE_SIZES: JSON.stringify([
    { label: 'thumb', width: 150, height: 150 },
    { label: 'wide', width: 1920, height: 1080, fit: 'cover', formats: ['webp', 'avif'] },
  ]),
  REDRIVE_DELAYS_SECONDS: '60, 600',
});
const handler = createOnImageUploadedHandler(() => settings);

const TOPIC =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1';

function blobCreated(
  blobName = 'users/42/cat.jpg',
  eTag = '"0x8DCAFE0001"',
  overrides: Record<string, unknown> = {},
) {
  return {
    topic: TOPIC,
    subject: `/blobServices/default/containers/images-unprocessed/blobs/${blobName}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: '2026-11-24T04:00:00.000Z',
    id: 'event-1',
    data: {
      api: 'PutBlob',
      eTag,
      contentType: 'image/jpeg',
      contentLength: 48213,
      blobType: 'BlockBlob',
      url: `http://127.0.0.1:10000/devstoreaccount1/images-unprocessed/${blobName}`,
      sequencer: '00000000000000000000000000000007',
    },
    dataVersion: '',
    metadataVersion: '1',
    ...overrides,
  };
}

const instanceId = instanceIdFor('images-unprocessed', 'users/42/cat.jpg', '"0x8DCAFE0001"');

let stub: DurableApiStub;
beforeAll(async () => {
  stub = await startDurableApiStub();
});
afterAll(async () => {
  await stub.stop();
});
beforeEach(() => {
  stub.instances.clear();
  stub.requests.length = 0;
  stub.failWith = undefined;
});

describe('onImageUploaded', () => {
  it('starts the orchestration under the deterministic id with the source and the size plan', async () => {
    const { context, lines } = recordingContext();
    await handler(blobCreated(), stub.client(), context);

    expect(stub.requests).toEqual([
      `GET instances/${instanceId}`,
      `POST orchestrators/${ORCHESTRATOR_FUNCTION}/${instanceId}`,
    ]);
    // Exactly the one builder's input for this source and plan: every flag of a new run comes from there.
    expect(stub.instances.get(instanceId)?.input).toEqual(
      newRunInput(
        {
          container: 'images-unprocessed',
          blobName: 'users/42/cat.jpg',
          eTag: '"0x8DCAFE0001"',
          sequencer: '00000000000000000000000000000007',
          contentLength: 48213,
          contentType: 'image/jpeg',
        },
        {
          // The whole plan with every default filled in, so a replay never depends on later settings.
          sizes: [
            { label: 'thumb', width: 150, height: 150, fit: 'inside', formats: ['source'] },
            {
              label: 'wide',
              width: 1920,
              height: 1080,
              fit: 'cover',
              position: 'centre',
              formats: ['webp', 'avif'],
            },
          ],
          retry: { transient: TRANSIENT_RETRY, redriveDelaysSeconds: [60, 600] },
          replacedGraceSeconds: 900,
        },
      ),
    );
    expect(lines).toEqual([
      {
        level: 'information',
        line: expect.objectContaining({
          msg: 'orchestration started',
          blobName: 'users/42/cat.jpg',
          instanceId,
        }),
      },
    ]);
  });

  it('a duplicate delivery finds the instance and starts nothing', async () => {
    await handler(blobCreated(), stub.client(), recordingContext().context);
    const { context, lines } = recordingContext();
    await handler(blobCreated(), stub.client(), context);
    await handler(blobCreated(), stub.client(), context);

    expect(stub.requests.filter((request) => request.startsWith('POST'))).toHaveLength(1);
    expect(lines.map(({ line }) => [line.msg, line.runtimeStatus])).toEqual([
      ['duplicate event: this version is already being or has been processed', 'Pending'],
      ['duplicate event: this version is already being or has been processed', 'Pending'],
    ]);
  });

  it.each(['Completed', 'Running'])('an instance that is %s is not started again', async (runtimeStatus) => {
    stub.instances.set(instanceId, {
      name: ORCHESTRATOR_FUNCTION,
      instanceId,
      input: null,
      runtimeStatus,
      customStatus: null,
      output: null,
    });
    await handler(blobCreated(), stub.client(), recordingContext().context);
    expect(stub.requests).toEqual([`GET instances/${instanceId}`]);
  });

  it.each(['Failed', 'Terminated'])(
    'an earlier instance that %s is restarted under the same id',
    async (runtimeStatus) => {
      stub.instances.set(instanceId, {
        name: ORCHESTRATOR_FUNCTION,
        instanceId,
        input: null,
        runtimeStatus,
        customStatus: null,
        output: null,
      });
      const { context, lines } = recordingContext();
      await handler(blobCreated(), stub.client(), context);

      expect(stub.requests).toEqual([
        `GET instances/${instanceId}`,
        `POST orchestrators/${ORCHESTRATOR_FUNCTION}/${instanceId}`,
      ]);
      expect(stub.instances.get(instanceId)?.runtimeStatus).toBe('Pending');
      expect(lines[0]?.line).toMatchObject({ msg: 'orchestration restarted', previousStatus: runtimeStatus });
    },
  );

  it('a new version of the same blob (new eTag) gets its own instance', async () => {
    await handler(blobCreated(), stub.client(), recordingContext().context);
    await handler(
      blobCreated('users/42/cat.jpg', '"0x8DCAFE0002"'),
      stub.client(),
      recordingContext().context,
    );
    expect(stub.instances.size).toBe(2);
    expect(stub.instances.has(instanceIdFor('images-unprocessed', 'users/42/cat.jpg', '0x8DCAFE0002'))).toBe(
      true,
    );
  });

  it.each([
    [
      'another container',
      blobCreated('x.jpg', '"1"', {
        subject: '/blobServices/default/containers/images-processed/blobs/x_thumb.jpg',
      }),
      'other-container',
      'information',
    ],
    [
      'a delete whose api is a write',
      blobCreated('x.jpg', '"1"', { eventType: 'Microsoft.Storage.BlobDeleted' }),
      'unsupported-api',
      'information',
    ],
    [
      'a tier change',
      blobCreated('x.jpg', '"1"', { eventType: 'Microsoft.Storage.BlobTierChanged' }),
      'not-a-blob-event',
      'information',
    ],
    [
      'another account',
      blobCreated('x.jpg', '"1"', { topic: TOPIC.replace('devstoreaccount1', 'elsewhere') }),
      'other-account',
      'information',
    ],
    ['a traversal name', blobCreated('a/../../b.jpg'), 'unsafe-blob-name', 'warning'],
    [
      'a forged sequencer',
      blobCreated('x.jpg', '"0x8DCAFE0001"', {
        data: { ...blobCreated().data, sequencer: 'z'.repeat(32) },
      }),
      'malformed-sequencer',
      'warning',
    ],
    [
      'a wildcard eTag with a huge sequencer',
      blobCreated('x.jpg', '*', { data: { ...blobCreated().data, eTag: '*', sequencer: 'f'.repeat(64) } }),
      'malformed-etag',
      'warning',
    ],
    ['junk', 'not an event', 'malformed-event', 'warning'],
  ])('ignores %s with one log line and never calls the task hub', async (_case, event, reason, level) => {
    const { context, lines } = recordingContext();
    await expect(handler(event, stub.client(), context)).resolves.toBeUndefined();
    expect(stub.requests).toEqual([]);
    expect(lines).toEqual([{ level, line: expect.objectContaining({ msg: 'event ignored', reason }) }]);
  });

  it('names the event on every line it logs: container, blob, api, eTag, sequencer and the reason', async () => {
    const forged = blobCreated('users/42/x.jpg', '"0x8DCAFE0009"', {
      id: 'event-forged',
      data: { ...blobCreated().data, eTag: '"0x8DCAFE0009"', sequencer: 'z'.repeat(32) },
    });
    const ignored = recordingContext();
    await handler(forged, stub.client(), ignored.context);
    expect(ignored.lines).toEqual([
      {
        level: 'warning',
        line: expect.objectContaining({
          msg: 'event ignored',
          reason: 'malformed-sequencer',
          eventId: 'event-forged',
          eventType: 'Microsoft.Storage.BlobCreated',
          container: 'images-unprocessed',
          blobName: 'users/42/x.jpg',
          api: 'PutBlob',
          eTag: '"0x8DCAFE0009"',
          sequencer: 'z'.repeat(32),
        }),
      },
    ]);

    const started = recordingContext();
    await handler(blobCreated(), stub.client(), started.context);
    await handler(blobCreated(), stub.client(), started.context);
    const about = {
      container: 'images-unprocessed',
      blobName: 'users/42/cat.jpg',
      api: 'PutBlob',
      eTag: '"0x8DCAFE0001"',
      sequencer: '00000000000000000000000000000007',
      instanceId,
    };
    expect(started.lines.map(({ line }) => line)).toEqual([
      expect.objectContaining({ msg: 'orchestration started', ...about }),
      expect.objectContaining({
        msg: expect.stringMatching(/^duplicate event/),
        reason: 'duplicate',
        ...about,
      }),
    ]);
  });

  it('an event with no readable subject still logs what it carries (null for what it lacks)', async () => {
    const { context, lines } = recordingContext();
    await handler(blobCreated('x.jpg', '"1"', { subject: '/not/a/blob' }), stub.client(), context);
    expect(lines[0]?.line).toMatchObject({
      msg: 'event ignored',
      reason: 'malformed-subject',
      container: null,
      blobName: null,
      subject: '/not/a/blob',
      api: 'PutBlob',
      eTag: '"1"',
      sequencer: '00000000000000000000000000000007',
    });
  });

  it('throws when the task hub fails, so Event Grid redelivers', async () => {
    stub.failWith = 503;
    const { context, lines } = recordingContext();
    await expect(handler(blobCreated(), stub.client(), context)).rejects.toThrow();
    expect(stub.instances.size).toBe(0);
    expect(lines).toEqual([
      { level: 'error', line: expect.objectContaining({ blobName: 'users/42/cat.jpg', instanceId }) },
    ]);
  });

  it('treats losing a start race to a concurrent delivery as a duplicate, not a failure', async () => {
    const client = stub.client();
    const racing = { getStatus: client.getStatus.bind(client), startNew: client.startNew.bind(client) };
    // The other delivery starts the instance between our status check and our start.
    let checks = 0;
    const getStatus: typeof racing.getStatus = async (id, options) => {
      const status = racing.getStatus(id, options);
      await status.catch(() => undefined);
      if (checks++ === 0) {
        stub.instances.set(instanceId, {
          name: ORCHESTRATOR_FUNCTION,
          instanceId,
          input: null,
          runtimeStatus: 'Running',
          customStatus: null,
          output: null,
        });
      }
      return status;
    };
    const { context, lines } = recordingContext();
    await handler(blobCreated(), { ...racing, getStatus }, context);
    // The task hub refused our start (409) and nothing else was started.
    expect(stub.requests.filter((request) => request.startsWith('POST'))).toEqual([
      `POST orchestrators/${ORCHESTRATOR_FUNCTION}/${instanceId}`,
    ]);
    expect(stub.instances.get(instanceId)?.input).toBeNull();
    expect(JSON.stringify(lines.at(-1))).toContain(
      'duplicate event: a concurrent delivery started this version',
    );
  });

  it('still throws when a start fails and no instance exists, so Event Grid redelivers', async () => {
    const client = stub.client();
    const failingStart: typeof client.startNew = () => Promise.reject(new Error('connection reset'));
    await expect(
      handler(
        blobCreated(),
        { getStatus: client.getStatus.bind(client), startNew: failingStart },
        recordingContext().context,
      ),
    ).rejects.toThrow('connection reset');
    expect(stub.instances.size).toBe(0);
  });
});
