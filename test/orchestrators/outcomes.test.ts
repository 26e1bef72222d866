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
    ['the v1 shape', { ok: true, label: 'thumb', variant: {} }],
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
