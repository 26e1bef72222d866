import { describe, expect, it } from 'vitest';
import type { SizeSpec } from '../../src/domain/types';
import { checkedOutcome, internalOutcome } from '../../src/orchestrators/outcomes';

const thumb: SizeSpec = {
  label: 'thumb',
  width: 150,
  height: 150,
  fit: 'inside',
  formats: ['source'],
};

describe('checkedOutcome', () => {
  it.each([
    ['undefined', undefined],
    ['a string', 'done'],
    ['another size', { ok: true, label: 'medium', variants: [{}], errors: [] }],
    ['ok without a variant', { ok: true, label: 'thumb', variants: [], errors: [] }],
    ['the single-format shape without a variant of this label', { ok: true, label: 'thumb', variant: {} }],
    ['an unknown status', { status: 'maybe', label: 'thumb' }],
  ])('turns %s into an internal error naming the result', (_case, result) => {
    expect(checkedOutcome(thumb, result)).toEqual({
      ok: false,
      label: 'thumb',
      variants: [],
      errors: [
        {
          label: 'thumb',
          code: 'internal',
          message: expect.stringMatching(/^resize-thumb failed after retries: unexpected activity result /),
        },
      ],
    });
  });

  it('reads a single-format result recorded by an older deployment as one-entry lists', () => {
    const variant = { label: 'thumb', blobName: 'a.jpg/0123456789ab/thumb.jpg', format: 'jpeg' };
    const source = { format: 'JPEG', width: 10, height: 10, length: 99, contentType: 'image/jpeg' };
    expect(checkedOutcome(thumb, { ok: true, label: 'thumb', variant, source })).toEqual({
      ok: true,
      label: 'thumb',
      variants: [variant],
      errors: [],
      source,
    });
    const error = { label: 'thumb', code: 'corrupt-image', message: 'bad' };
    expect(checkedOutcome(thumb, { ok: false, label: 'thumb', error })).toEqual({
      ok: false,
      label: 'thumb',
      variants: [],
      errors: [error],
    });
  });

  it('keeps a contract outcome as it is', () => {
    const outcome = {
      ok: false,
      label: 'thumb',
      variants: [],
      errors: [{ code: 'not-an-image', message: 'x' }],
    };
    expect(checkedOutcome(thumb, outcome)).toBe(outcome);
  });
});

describe('internalOutcome', () => {
  it('keeps only the first line (no serialized stack) and bounds the length', () => {
    const error = new Error(
      `Activity function 'resize-thumb' failed: ${'x'.repeat(400)} \n {"stack":"at a.js:1"}`,
    );
    const outcome = internalOutcome(thumb, error);
    expect(outcome.errors[0]?.message).toMatch(
      /^resize-thumb failed after retries: Activity function 'resize-thumb' failed: x+\.\.\.$/,
    );
    expect(outcome.errors[0]?.message.length).toBeLessThanOrEqual(
      300 + 'resize-thumb failed after retries: '.length,
    );
  });
});
