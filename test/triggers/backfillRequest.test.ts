import { describe, expect, it } from 'vitest';
import type { SizeSpec } from '../../src/domain/types';
import { parseBackfillRequest } from '../../src/triggers/http/backfillRequest';

const catalog: SizeSpec[] = [
  { label: 'thumb', width: 150, height: 150, fit: 'inside', formats: ['source'] },
  { label: 'xl', width: 2048, height: 2048, fit: 'inside', formats: ['source'] },
];

describe('parseBackfillRequest', () => {
  it('takes the defaults for absent keys', () => {
    expect(parseBackfillRequest({}, catalog)).toEqual({
      ok: true,
      request: { prefix: '', sizes: catalog, only: 'missing' },
    });
  });

  it('refuses a literal null body instead of reading it as every size of every image', () => {
    expect(parseBackfillRequest(null, catalog)).toMatchObject({
      ok: false,
      code: 'invalid-request',
      message: 'Expected a JSON object {prefix?, sizes?, only?} for the request body but received null',
    });
    expect(parseBackfillRequest(undefined, catalog)).toMatchObject({ ok: true });
  });

  it('refuses null like any other wrong type, naming the field', () => {
    expect(parseBackfillRequest({ prefix: null }, catalog)).toEqual({
      ok: false,
      code: 'invalid-request',
      message: 'Expected a string for prefix but received null',
    });
    expect(parseBackfillRequest({ only: null }, catalog)).toEqual({
      ok: false,
      code: 'invalid-request',
      message: 'Expected one of missing, failed, all for only but received null',
    });
    expect(parseBackfillRequest({ sizes: null }, catalog)).toMatchObject({
      ok: false,
      message: 'Expected a non-empty array of size labels for sizes but received null',
    });
  });
});
