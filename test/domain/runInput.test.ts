import { describe, expect, it } from 'vitest';
import { newRunInput, NEW_RUN_FLAGS } from '../../src/domain/runInput';
import type { SizeSpec, SourceRef } from '../../src/domain/types';
import { retryPlanFor } from '../../src/orchestrators/retryPolicy';

const source: SourceRef = {
  container: 'images-unprocessed',
  blobName: 'a/b.jpg',
  eTag: '"0x1"',
  sequencer: '',
  contentLength: 10,
  contentType: 'image/jpeg',
};
const sizes: SizeSpec[] = [{ label: 'thumb', width: 150, fit: 'inside', formats: ['source'] }];

describe('newRunInput', () => {
  it('sets every flag a new run carries (absent would mean the behaviour of instances started before it)', () => {
    expect(NEW_RUN_FLAGS).toEqual({
      checksRegistration: true,
      placeholder: true,
      routeByBytes: true,
      prunesDropped: true,
    });
    const retry = retryPlanFor([60]);
    expect(newRunInput(source, { sizes, retry, replacedGraceSeconds: 900 })).toEqual({
      source,
      sizes,
      retry,
      replacedGraceSeconds: 900,
      checksRegistration: true,
      placeholder: true,
      routeByBytes: true,
      prunesDropped: true,
    });
  });

  it('leaves plan fields the starter did not decide absent, not undefined (the default applies in the run)', () => {
    const input = newRunInput(source, { sizes, retry: undefined, replacedGraceSeconds: undefined });
    expect(Object.keys(input).sort()).toEqual(
      ['checksRegistration', 'placeholder', 'prunesDropped', 'routeByBytes', 'sizes', 'source'].sort(),
    );
  });
});
