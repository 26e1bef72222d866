import { describe, expect, it } from 'vitest';
import { parseBlobCreatedEvent, type IgnoreReason } from '../../src/events/blobCreatedEvent';

const filter = { accountName: 'mediacorpimages', unprocessedContainer: 'images-unprocessed' };
const TOPIC =
  '/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-media/providers/Microsoft.Storage/storageAccounts/mediacorpimages';

/** A BlobCreated event in the Event Grid schema, as documented in event-schema-blob-storage.md. */
function eventGridEvent(overrides: Record<string, unknown> = {}, data: Record<string, unknown> = {}) {
  return {
    topic: TOPIC,
    subject: '/blobServices/default/containers/images-unprocessed/blobs/users/42/cat.jpg',
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: '2026-11-24T04:00:00.9584103Z',
    id: '831e1650-001e-001b-66ab-eeb76e069631',
    data: {
      api: 'PutBlockList',
      clientRequestId: '6d79dbfb-0e37-4fc4-981f-442c9ca65760',
      requestId: '831e1650-001e-001b-66ab-eeb76e000000',
      eTag: '"0x8D4BCC2E4835CD0"',
      contentType: 'image/jpeg',
      contentLength: 524288,
      blobType: 'BlockBlob',
      url: 'https://mediacorpimages.blob.core.windows.net/images-unprocessed/users/42/cat.jpg',
      sequencer: '00000000000004420000000000028963',
      storageDiagnostics: { batchId: 'b68529f3-68cd-4744-baa4-3c0498ec19f0' },
      ...data,
    },
    dataVersion: '',
    metadataVersion: '1',
    ...overrides,
  };
}

/** The same event in the CloudEvents 1.0 schema: `source`/`type`/`time`/`specversion`. */
function cloudEvent(overrides: Record<string, unknown> = {}) {
  const { topic, eventType, eventTime, subject, id, data } = eventGridEvent();
  return {
    source: topic,
    type: eventType,
    time: eventTime,
    subject,
    id,
    data,
    specversion: '1.0',
    ...overrides,
  };
}

function expectIgnored(event: unknown, reason: IgnoreReason, detail: RegExp) {
  const parsed = parseBlobCreatedEvent(event, filter);
  expect(parsed).toEqual({ ok: false, reason, detail: expect.stringMatching(detail) });
}

describe('parseBlobCreatedEvent: version fields only in the shape Azure sends them', () => {
  it.each([
    ['32 digits (documented example)', '00000000000004420000000000028963'],
    ['48 digits (captured from a storage account)', '000000000000000000000000000099240000000000c41c18'],
  ])('accepts a sequencer of %s', (_case, sequencer) => {
    expect(parseBlobCreatedEvent(eventGridEvent({}, { sequencer }), filter)).toMatchObject({
      ok: true,
      source: { sequencer },
    });
  });

  it('lower-cases a sequencer with upper-case hex letters, so string order stays numeric order', () => {
    const parsed = parseBlobCreatedEvent(
      eventGridEvent({}, { sequencer: '00000000000000000000000000010C26000000000067dc78' }),
      filter,
    );
    expect(parsed).toMatchObject({
      source: { sequencer: '00000000000000000000000000010c26000000000067dc78' },
    });
  });

  it.each([
    ['letters beyond hex', 'z'.repeat(32)],
    ['a huge value of another length', 'f'.repeat(64)],
    ['too short', '0000000000000442'],
    ['31 digits', '0'.repeat(31)],
    ['spaces', ` ${'0'.repeat(30)} `],
    ['a sign', `-${'0'.repeat(31)}`],
  ])('malformed-sequencer: %s', (_case, sequencer) => {
    expectIgnored(
      eventGridEvent({}, { sequencer }),
      'malformed-sequencer',
      /^Expected 32 or 48 hexadecimal digits for data\.sequencer but received /,
    );
  });

  it.each([
    ['bare, as Event Grid sends it', '0x8D4BCC2E4835CD0'],
    ['quoted', '"0x8D4BCC2E4835CD0"'],
  ])('accepts an eTag %s', (_case, eTag) => {
    expect(parseBlobCreatedEvent(eventGridEvent({}, { eTag }), filter)).toMatchObject({
      ok: true,
      source: { eTag },
    });
  });

  it.each([
    ['the wildcard', '*', /wildcard/],
    ['the quoted wildcard', '"*"', /wildcard/],
    ['a weak tag', 'W/"0x8D4BCC2E4835CD0"', /weak/],
    ['a list', '"0x1", "0x2"', /not an entity tag/],
    ['an unbalanced quote', '"0x8D4BCC2E4835CD0', /unbalanced/],
    ['an empty quoted tag', '""', /not an entity tag/],
    ['a space inside', '0x8D4 BCC', /not an entity tag/],
    ['over 128 characters', 'a'.repeat(129), /not an entity tag/],
  ])('malformed-etag: %s', (_case, eTag, detail) => {
    expectIgnored(eventGridEvent({}, { eTag }), 'malformed-etag', detail);
  });
});

describe('parseBlobCreatedEvent: accepted', () => {
  it('takes container and name from the subject and the version fields from data', () => {
    expect(parseBlobCreatedEvent(eventGridEvent(), filter)).toEqual({
      ok: true,
      source: {
        container: 'images-unprocessed',
        blobName: 'users/42/cat.jpg',
        eTag: '"0x8D4BCC2E4835CD0"',
        sequencer: '00000000000004420000000000028963',
        contentLength: 524288,
        contentType: 'image/jpeg',
      },
    });
  });

  it.each(['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose'])('accepts data.api %s', (api) => {
    expect(parseBlobCreatedEvent(eventGridEvent({}, { api }), filter).ok).toBe(true);
  });

  it('accepts the CloudEvents schema (type/source)', () => {
    const parsed = parseBlobCreatedEvent(cloudEvent(), filter);
    expect(parsed).toMatchObject({ ok: true, source: { blobName: 'users/42/cat.jpg' } });
  });

  it('compares the account case-insensitively', () => {
    const event = eventGridEvent({ topic: TOPIC.replace('mediacorpimages', 'MediaCorpImages') });
    expect(parseBlobCreatedEvent(event, filter).ok).toBe(true);
  });

  it.each([
    ['spaces', 'holiday%20photos/beach%20day.jpg', 'holiday photos/beach day.jpg'],
    ['unicode', 'caf%C3%A9/%E5%86%99%E7%9C%9F.png', 'café/写真.png'],
    ['an encoded slash', 'a%2Fb/c.jpg', 'a/b/c.jpg'],
    ['a literal %2F (decoded once only)', 'a%252Fb.jpg', 'a%2Fb.jpg'],
    ['a plus sign (not a space in a path)', 'a+b.jpg', 'a+b.jpg'],
    ['unencoded unicode', 'ünï/ç.webp', 'ünï/ç.webp'],
  ])('URL-decodes the subject once: %s', (_case, encoded, decoded) => {
    const event = eventGridEvent({
      subject: `/blobServices/default/containers/images-unprocessed/blobs/${encoded}`,
    });
    expect(parseBlobCreatedEvent(event, filter)).toMatchObject({
      ok: true,
      source: { blobName: decoded },
    });
  });

  it('never reads data.url (a hostile url changes nothing)', () => {
    const event = eventGridEvent({}, { url: 'http://169.254.169.254/metadata/other-container/x.jpg' });
    expect(parseBlobCreatedEvent(event, filter)).toMatchObject({
      ok: true,
      source: { container: 'images-unprocessed', blobName: 'users/42/cat.jpg' },
    });
  });

  it('accepts an empty blob (contentLength 0): the activity decides it is not an image', () => {
    expect(parseBlobCreatedEvent(eventGridEvent({}, { contentLength: 0 }), filter).ok).toBe(true);
  });
});

describe('parseBlobCreatedEvent: ignored', () => {
  it.each([null, 'text', 42, [eventGridEvent()]])('malformed-event: %j is not an event object', (event) => {
    expectIgnored(event, 'malformed-event', /^Expected an event object but received/);
  });

  it('malformed-event: data missing', () => {
    expectIgnored(eventGridEvent({ data: undefined }), 'malformed-event', /^Expected an object for data/);
  });

  it('not-blob-created: BlobDeleted', () => {
    expectIgnored(
      eventGridEvent({ eventType: 'Microsoft.Storage.BlobDeleted' }, { api: 'DeleteBlob' }),
      'not-blob-created',
      /but received "Microsoft\.Storage\.BlobDeleted"$/,
    );
  });

  it('not-blob-created: CloudEvents with another type', () => {
    expectIgnored(
      cloudEvent({ type: 'Microsoft.Storage.BlobTierChanged' }),
      'not-blob-created',
      /BlobTierChanged/,
    );
  });

  it('not-blob-created: the subscription validation event is not work', () => {
    const validation = {
      id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
      topic: '/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
      subject: '',
      data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' },
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: '2018-01-25T22:12:19.4556811Z',
      metadataVersion: '1',
      dataVersion: '1',
    };
    expectIgnored(validation, 'not-blob-created', /SubscriptionValidationEvent/);
  });

  it.each(['CreateFile', 'SftpCreate', 'PutBlock', undefined])('unsupported-api: %s', (api) => {
    expectIgnored(
      eventGridEvent({}, { api }),
      'unsupported-api',
      /^Expected one of PutBlob, PutBlockList, CopyBlob, FlushWithClose for data\.api/,
    );
  });

  it.each([
    [
      'not a storage account',
      '/subscriptions/x/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns',
    ],
    ['a sub-resource', `${TOPIC}/blobServices/default`],
    ['missing', undefined],
  ])('malformed-topic: %s', (_case, topic) => {
    expectIgnored(
      eventGridEvent({ topic }),
      'malformed-topic',
      /^Expected a storage account resource id for the topic/,
    );
  });

  it('other-account', () => {
    expectIgnored(
      eventGridEvent({ topic: TOPIC.replace('mediacorpimages', 'someoneelse') }),
      'other-account',
      /^Expected storage account mediacorpimages but received "someoneelse"$/,
    );
  });

  it('other-account: CloudEvents source', () => {
    expectIgnored(
      cloudEvent({ source: TOPIC.replace('mediacorpimages', 'other') }),
      'other-account',
      /"other"/,
    );
  });

  it.each([
    ['a queue subject', '/queueServices/default/queues/q/messages/1'],
    ['no blob name separator', '/blobServices/default/containers/images-unprocessed'],
    ['a bad %-escape', '/blobServices/default/containers/images-unprocessed/blobs/bad%E0%A4%A.jpg'],
    ['not a string', 42],
  ])('malformed-subject: %s', (_case, subject) => {
    expectIgnored(eventGridEvent({ subject }), 'malformed-subject', /^Expected a blob subject but received/);
  });

  it('other-container', () => {
    expectIgnored(
      eventGridEvent({
        subject: '/blobServices/default/containers/images-processed/blobs/users/42/cat_thumb.jpg',
      }),
      'other-container',
      /^Expected container images-unprocessed but received "images-processed"$/,
    );
  });

  it.each([
    ['eTag', { eTag: undefined }, /data\.eTag/],
    ['eTag empty', { eTag: '' }, /data\.eTag/],
    ['sequencer', { sequencer: undefined }, /data\.sequencer/],
    ['contentLength missing', { contentLength: undefined }, /data\.contentLength/],
    [
      'contentLength as a string',
      { contentLength: '524288' },
      /data\.contentLength .* but received "524288"$/,
    ],
    ['contentLength negative', { contentLength: -1 }, /data\.contentLength/],
    ['contentType', { contentType: undefined }, /data\.contentType/],
  ])('missing-data-field: %s', (_case, data, detail) => {
    expectIgnored(eventGridEvent({}, data), 'missing-data-field', detail);
  });

  it.each([
    ['empty', ''],
    ['a .. segment', 'users/../../etc/passwd'],
    ['an encoded .. segment', 'users/%2E%2E/secret.jpg'],
    ['a . segment', './cat.jpg'],
    ['a control character', 'cat%0A.jpg'],
    ['a NUL', 'cat%00.jpg'],
    ['a directory marker', 'users/42/'],
    ['over 986 characters (room for the derivative suffix)', `${'a'.repeat(983)}.jpg`],
  ])('unsafe-blob-name: %s', (_case, name) => {
    expectIgnored(
      eventGridEvent({ subject: `/blobServices/default/containers/images-unprocessed/blobs/${name}` }),
      'unsafe-blob-name',
      /^Expected a safe blob name but received/,
    );
  });
});
