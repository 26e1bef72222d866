import { describe, expect, it } from 'vitest';
import { instanceIdFor } from '../../src/domain/ids';
import {
  backfillRunInstanceId,
  decideBackfill,
  isBackfillRunInstanceId,
  legacyBackfillRunInstanceId,
  prefixesOverlap,
} from '../../src/domain/backfill';
import type { ImageDocument, ImageError, SizeSpec } from '../../src/domain/types';

const thumb: SizeSpec = { label: 'thumb', width: 150, height: 150, fit: 'inside', formats: ['source'] };
const xl: SizeSpec = { label: 'xl', width: 2048, height: 2048, fit: 'inside', formats: ['source'] };
const blob = { eTag: '"0xV2"' };
const variant = (label: string) => ({ label, format: 'jpeg' }) as ImageDocument['variants'][number];

function doc(
  fields: Partial<Pick<ImageDocument, 'sourceETag' | 'status' | 'variants' | 'errors'>> = {},
): Pick<ImageDocument, 'sourceETag' | 'status' | 'variants' | 'errors'> {
  return {
    sourceETag: '0xV2',
    status: 'completed',
    variants: [variant('thumb'), variant('xl')],
    errors: [],
    ...fields,
  };
}
const internal = (label?: string): ImageError => ({
  ...(label ? { label } : {}),
  code: 'internal',
  message: 'x',
});

describe('decideBackfill', () => {
  it('missing: no document, another version, or an absent label; otherwise up to date', () => {
    expect(decideBackfill('missing', blob, undefined, [thumb, xl])).toEqual({
      run: true,
      sizes: [thumb, xl],
      reason: 'no-document',
    });
    expect(decideBackfill('missing', blob, doc({ sourceETag: '"0xV1"' }), [thumb])).toMatchObject({
      run: true,
      reason: 'other-version',
    });
    expect(decideBackfill('missing', blob, doc({ variants: [variant('thumb')] }), [thumb, xl])).toEqual({
      run: true,
      sizes: [xl],
      reason: 'labels-absent',
    });
    // quoted and bare eTags are the same version
    expect(decideBackfill('missing', blob, doc(), [thumb, xl])).toEqual({ run: false, reason: 'up-to-date' });
  });

  it('missing: a size that names formats needs each of them', () => {
    const both = { ...xl, formats: ['jpeg', 'webp'] } as SizeSpec;
    expect(decideBackfill('missing', blob, doc(), [both])).toMatchObject({ run: true, sizes: [both] });
  });

  it('missing: a requested (label, format) absent from the document is missing; `source` resolves by the source format', () => {
    const pngVariant = { label: 'thumb', format: 'png' } as ImageDocument['variants'][number];
    const asPng = { ...doc({ variants: [pngVariant] }), sourceFormat: 'PNG' };
    const sourceOnly: SizeSpec = { ...thumb, formats: ['source'] };
    const withWebp: SizeSpec = { ...thumb, formats: ['source', 'webp'] };
    expect(decideBackfill('missing', blob, asPng, [sourceOnly])).toEqual({
      run: false,
      reason: 'up-to-date',
    });
    expect(decideBackfill('missing', blob, asPng, [withWebp])).toEqual({
      run: true,
      sizes: [withWebp],
      reason: 'labels-absent',
    });
    // A JPEG source's `source` is a JPEG: the PNG variant does not answer it.
    expect(decideBackfill('missing', blob, { ...asPng, sourceFormat: 'JPEG' }, [sourceOnly])).toMatchObject({
      run: true,
    });
    // HEIC (and GIF, TIFF, AVIF) become JPEG, or PNG where the pixels use transparency: either answers it.
    expect(decideBackfill('missing', blob, { ...asPng, sourceFormat: 'HEIC' }, [sourceOnly])).toEqual({
      run: false,
      reason: 'up-to-date',
    });
  });

  it('failed: only internal errors of the current version are re-driven, for their labels', () => {
    expect(
      decideBackfill('failed', blob, doc({ status: 'partial', errors: [internal('xl')] }), [thumb, xl]),
    ).toEqual({ run: true, sizes: [xl], reason: 'redrivable-errors' });
    expect(
      decideBackfill('failed', blob, doc({ status: 'failed', errors: [internal()] }), [thumb, xl]),
    ).toMatchObject({ sizes: [thumb, xl] });
    const corrupt: ImageError = { code: 'corrupt-image', message: 'bad' };
    expect(decideBackfill('failed', blob, doc({ status: 'failed', errors: [corrupt] }), [thumb])).toEqual({
      run: false,
      reason: 'not-redrivable',
    });
    expect(
      decideBackfill('failed', blob, doc({ status: 'partial', errors: [internal('xl')] }), [thumb]),
    ).toEqual({ run: false, reason: 'not-redrivable' });
    expect(
      decideBackfill('failed', blob, doc({ sourceETag: '0xV1', status: 'failed', errors: [internal()] }), [
        thumb,
      ]),
    ).toEqual({ run: false, reason: 'no-result-of-this-version' });
    expect(decideBackfill('failed', blob, undefined, [thumb])).toMatchObject({ run: false });
    expect(decideBackfill('failed', blob, doc(), [thumb])).toEqual({ run: false, reason: 'up-to-date' });
  });

  it('all: every image, every requested size', () => {
    expect(decideBackfill('all', blob, doc(), [xl])).toEqual({ run: true, sizes: [xl], reason: 'all' });
  });
});

describe('backfill ids and prefixes', () => {
  it('gives one run id per backfill and version, whatever sizes were decided', () => {
    const id = backfillRunInstanceId('backfill-1', 'c', 'a.jpg', '"0xV2"');
    // Under the version's own id, so one instanceIdPrefix query finds every run of the version.
    expect(id).toMatch(/^img-[0-9a-f]{32}-b[0-9a-f]{12}$/);
    expect(id.startsWith(`${instanceIdFor('c', 'a.jpg', '0xV2')}-b`)).toBe(true);
    expect(isBackfillRunInstanceId(id)).toBe(true);
    expect(isBackfillRunInstanceId(instanceIdFor('c', 'a.jpg', '0xV2'))).toBe(false);
    expect(isBackfillRunInstanceId(legacyBackfillRunInstanceId('backfill-1', 'c', 'a.jpg', '0xV2'))).toBe(
      true,
    );
    expect(backfillRunInstanceId('backfill-1', 'c', 'a.jpg', '0xV2')).toBe(id);
    expect(backfillRunInstanceId('backfill-2', 'c', 'a.jpg', '0xV2')).not.toBe(id);
    expect(backfillRunInstanceId('backfill-1', 'c', 'a.jpg', '0xV3')).not.toBe(id);
    expect(backfillRunInstanceId('backfill-1', 'c', 'b.jpg', '0xV2')).not.toBe(id);
  });

  it('overlap: one prefix starts the other', () => {
    expect(prefixesOverlap('', 'users/42/')).toBe(true);
    expect(prefixesOverlap('users/4', 'users/42/')).toBe(true);
    expect(prefixesOverlap('users/41/', 'users/42/')).toBe(false);
  });
});
