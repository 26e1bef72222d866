import { describe, expect, it } from 'vitest';
import { buildImageDocument } from '../../src/activities/document/buildImageDocument';
import { decideWrite } from '../../src/activities/document/staleWriteGuard';
import type { ImageDocument, WriteDocumentInput } from '../../src/domain/types';
import { errorOutcome, okOutcome, sourceRef } from './documentFixtures';

const NOW = new Date('2026-11-24T05:00:00.000Z');

function storedFor(input: WriteDocumentInput): ImageDocument {
  return buildImageDocument({ input, sameVersion: undefined, createdAt: undefined, now: NOW });
}

const noHead = (): Promise<string | undefined> => Promise.reject(new Error('HEAD not expected'));

describe('decideWrite', () => {
  const source = sourceRef({ eTag: '"0xA"', sequencer: '0000000000000000000000000005000000000000000000aa' });
  const stored = storedFor({ instanceId: 'img-a', source, outcomes: [okOutcome('thumb', 150, 100)] });

  it('skips a run with a superseded size even when its eTag matches the stored document', async () => {
    const input = { instanceId: 'img-b', source, outcomes: [errorOutcome('thumb', 'superseded')] };
    expect(await decideWrite({ input, existing: stored, currentSourceETag: noHead })).toEqual({
      action: 'skip',
      reason: 'superseded',
    });
  });

  it('merges the same version whatever the quoting of its eTag or its sequencer', async () => {
    const input = {
      instanceId: 'img-b',
      source: { ...source, eTag: '0xA', sequencer: '' },
      outcomes: [okOutcome('large', 1280, 853)],
    };
    expect(await decideWrite({ input, existing: stored, currentSourceETag: noHead })).toEqual({
      action: 'merge',
    });
  });

  it('treats an equal sequencer of another version as not older when neither version is current', async () => {
    const input = { instanceId: 'img-b', source: { ...source, eTag: '"0xB"' }, outcomes: [] };
    const third = (): Promise<string | undefined> => Promise.resolve('"0xC"');
    expect(await decideWrite({ input, existing: stored, currentSourceETag: third })).toEqual({
      action: 'write',
    });
  });

  it('with nothing stored, asks storage: no first document for a source that is gone; any existing one writes', async () => {
    const input = { instanceId: 'img-b', source, outcomes: [errorOutcome('thumb', 'source-missing')] };
    const gone = (): Promise<string | undefined> => Promise.resolve(undefined);
    expect(await decideWrite({ input, existing: undefined, currentSourceETag: gone })).toEqual({
      action: 'skip',
      reason: 'deleted',
    });
    for (const now of [source.eTag, '"0xOTHER"']) {
      const head = (): Promise<string | undefined> => Promise.resolve(now);
      expect(await decideWrite({ input, existing: undefined, currentSourceETag: head })).toEqual({
        action: 'write',
      });
    }
  });

  it('skips a run of a source blob that is gone (deleted), whatever its order', async () => {
    const gone = (): Promise<string | undefined> => Promise.resolve(undefined);
    for (const sequencer of ['', 'f'.repeat(48)]) {
      const input = { instanceId: 'img-b', source: { ...source, eTag: '"0xB"', sequencer }, outcomes: [] };
      expect(await decideWrite({ input, existing: stored, currentSourceETag: gone })).toEqual({
        action: 'skip',
        reason: 'deleted',
      });
    }
  });
});

describe('decideWrite: a stored document of unknown order (empty sourceSequencer)', () => {
  const path = sourceRef({ eTag: '"0xR"', sequencer: '' });
  const reprocessed = storedFor({
    instanceId: 'img-r',
    source: path,
    outcomes: [okOutcome('thumb', 150, 100)],
  });
  const late = {
    instanceId: 'img-old',
    source: { ...path, eTag: '"0xOLD"', sequencer: '0000000000000000000000000001000000000000000000aa' },
    outcomes: [okOutcome('thumb', 150, 100)],
  };

  it('does not let a late event of another version replace it while the blob is still the stored version', async () => {
    expect(reprocessed.sourceSequencer).toBe('');
    const stillR = (): Promise<string | undefined> => Promise.resolve('"0xR"');
    expect(await decideWrite({ input: late, existing: reprocessed, currentSourceETag: stillR })).toEqual({
      action: 'skip',
      reason: 'stale',
    });
  });

  it("lets another version replace it when the blob now is that run's version", async () => {
    const nowOld = (): Promise<string | undefined> => Promise.resolve('0xOLD');
    expect(await decideWrite({ input: late, existing: reprocessed, currentSourceETag: nowOld })).toEqual({
      action: 'write',
    });
  });
});

describe('buildImageDocument', () => {
  it('keeps the stored variant of a label this run failed on (same version) and adds no error for it', () => {
    const source = sourceRef();
    const first = storedFor({
      instanceId: 'img-1',
      source,
      outcomes: [okOutcome('thumb', 150, 100), okOutcome('large', 1280, 853)],
    });
    const merged = buildImageDocument({
      input: { instanceId: 'img-2', source, outcomes: [errorOutcome('large', 'internal', 'boom')] },
      sameVersion: first,
      createdAt: first.createdAt,
      now: new Date('2026-11-24T06:00:00.000Z'),
    });
    expect(merged.variants).toEqual(first.variants);
    expect(merged.errors).toEqual([]);
    expect(merged.status).toBe('completed');
    // No size succeeded in this run, so the source facts come from the stored document.
    expect([merged.sourceFormat, merged.sourceWidth, merged.sourceHeight]).toEqual(['JPEG', 2000, 1500]);
    expect([merged.createdAt, merged.updatedAt]).toEqual([NOW.toISOString(), '2026-11-24T06:00:00.000Z']);
  });

  it('replaces the stored error of a label without a variant, and a stored variant with a new one', () => {
    const source = sourceRef();
    const first = storedFor({
      instanceId: 'img-1',
      source,
      outcomes: [okOutcome('thumb', 150, 100), errorOutcome('medium', 'internal', 'old')],
    });
    const merged = buildImageDocument({
      input: {
        instanceId: 'img-2',
        source,
        outcomes: [
          errorOutcome('medium', 'corrupt-image', 'new'),
          okOutcome('thumb', 150, 100, '"0xthumb02"'),
        ],
      },
      sameVersion: first,
      createdAt: first.createdAt,
      now: NOW,
    });
    expect(merged.variants.map((variant) => [variant.label, variant.eTag])).toEqual([
      ['thumb', '"0xthumb02"'],
    ]);
    expect(merged.errors).toEqual([{ label: 'medium', code: 'corrupt-image', message: 'new' }]);
    expect(merged.status).toBe('partial');
  });

  it('describes the source of a failed run from what its failures read (header, else detected format)', () => {
    const source = sourceRef();
    const tooManyPixels = errorOutcome('large', 'too-many-pixels', 'over', {
      format: 'PNG',
      width: 30_000,
      height: 30_000,
    });
    const unsupported = errorOutcome('thumb', 'unsupported-format', 'no', { format: 'PNG' });
    const failed = buildImageDocument({
      input: { instanceId: 'img-1', source, outcomes: [unsupported, tooManyPixels] },
      sameVersion: undefined,
      createdAt: undefined,
      now: NOW,
    });
    expect(failed.status).toBe('failed');
    expect([failed.sourceFormat, failed.sourceWidth, failed.sourceHeight]).toEqual(['PNG', 30_000, 30_000]);

    const bmp = errorOutcome('thumb', 'unsupported-format', 'no', { format: 'BMP' });
    const onlyFormat = buildImageDocument({
      input: { instanceId: 'img-1', source, outcomes: [bmp] },
      sameVersion: undefined,
      createdAt: undefined,
      now: NOW,
    });
    expect([onlyFormat.sourceFormat, onlyFormat.sourceWidth, onlyFormat.sourceHeight]).toEqual([
      'BMP',
      null,
      null,
    ]);
  });
});
