/**
 * The per-process decode memory budget: running decodes never hold more than it together, later ones wait in
 * arrival order, a failing decode releases its share, and the settings refuse a budget that could never
 * admit one decode of MAX_SOURCE_PIXELS.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings';
import {
  configureDecodeAdmission,
  DecodeAdmission,
  DEFAULT_DECODE_MEMORY_BUDGET_MB,
  HEIC_DECODE_BYTES_PER_PIXEL,
  HEIC_HELD_PER_DECODED_BYTE,
  MIB,
  minDecodeMemoryBudgetMb,
} from '../../src/imaging/decodeAdmission';
import { renderDerivative } from '../../src/imaging';
import { openSource } from '../../src/imaging/openSource';
import { testEnv } from '../support/env';

/** A decode that finishes when the test says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DecodeAdmission', () => {
  it('holds at most the budget: a decode that does not fit waits for one to finish', async () => {
    const admission = new DecodeAdmission(100);
    const started: string[] = [];
    const gates = { a: gate(), b: gate(), c: gate() };
    const run = (name: keyof typeof gates, bytes: number) =>
      admission.run(bytes, async () => {
        started.push(name);
        await gates[name].promise;
        return name;
      });
    const a = run('a', 60);
    const b = run('b', 60);
    const c = run('c', 30);
    await tick();
    // b does not fit beside a; c would, but waits behind b (arrival order: no starving the large one).
    expect(started).toEqual(['a']);
    expect(admission.state()).toEqual({ heldBytes: 60, waiting: 2 });
    gates.a.open();
    expect(await a).toBe('a');
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    expect(admission.state()).toEqual({ heldBytes: 90, waiting: 0 });
    gates.b.open();
    gates.c.open();
    expect(await Promise.all([b, c])).toEqual(['b', 'c']);
    expect(admission.state()).toEqual({ heldBytes: 0, waiting: 0 });
  });

  it('a decode that throws releases its share', async () => {
    const admission = new DecodeAdmission(100);
    await expect(admission.run(100, () => Promise.reject(new Error('libheif failed')))).rejects.toThrow(
      'libheif failed',
    );
    expect(await admission.run(100, () => Promise.resolve('next'))).toBe('next');
    expect(admission.state()).toEqual({ heldBytes: 0, waiting: 0 });
  });

  it('a reservation shrunk after its decode admits the next one only when the rest fits; release frees it', async () => {
    const admission = new DecodeAdmission(100);
    const first = await admission.reserve(80);
    let secondAdmitted = false;
    const second = admission.reserve(60).then((reservation) => ((secondAdmitted = true), reservation));
    await tick();
    expect([secondAdmitted, admission.state()]).toEqual([false, { heldBytes: 80, waiting: 1 }]);
    first.shrinkTo(50); // the decoder is gone; the decoded pixels and their resize still hold 50
    await tick();
    expect([secondAdmitted, admission.state()]).toEqual([false, { heldBytes: 50, waiting: 1 }]);
    first.shrinkTo(90); // never grows back
    first.release();
    const next = await second;
    expect(admission.state()).toEqual({ heldBytes: 60, waiting: 0 });
    first.release(); // a second release gives back nothing more
    next.release();
    expect(admission.state()).toEqual({ heldBytes: 0, waiting: 0 });
  });

  it('what a HEIC render holds after its decode never exceeds what the decode was admitted with', () => {
    // RGBA pixels (4 B/px, never shrunk) are the most a decoded copy holds per stored pixel.
    expect(4 * HEIC_HELD_PER_DECODED_BYTE).toBeLessThanOrEqual(HEIC_DECODE_BYTES_PER_PIXEL);
  });

  it('a decode larger than the whole budget still runs, alone', async () => {
    const admission = new DecodeAdmission(100);
    expect(await admission.run(1_000, () => Promise.resolve(admission.state().heldBytes))).toBe(100);
  });
});

describe('HEIC renders go through the process admission', () => {
  afterEach(() => {
    configureDecodeAdmission({ memoryBudgetBytes: DEFAULT_DECODE_MEMORY_BUDGET_MB * MIB });
  });

  it('a HEIC render holds its share until sharp is done with the decoded pixels, then gives all of it back', async () => {
    const admission = configureDecodeAdmission({ memoryBudgetBytes: DEFAULT_DECODE_MEMORY_BUDGET_MB * MIB });
    const heic = readFileSync(path.join(__dirname, '../fixtures/heic/plain.heic'));
    const limits = { maxSourceBytes: 1024 * 1024, maxSourcePixels: 1_000_000 };
    const opened = await openSource(heic, limits, [{ fit: 'inside', width: 96, height: 96 }]);
    if (!opened.ok) throw new Error(opened.error.message);
    // The decoder's share (96x64 x 11 B) shrank to the decoded TIFF's bytes x 2.5.
    expect(admission.state().heldBytes).toBe(
      Math.ceil(opened.opened.pixels.length * HEIC_HELD_PER_DECODED_BYTE),
    );
    opened.opened.release();
    expect(admission.state()).toEqual({ heldBytes: 0, waiting: 0 });
  });

  it('four concurrent HEIC renders under a budget of one decode all succeed, one decode at a time', async () => {
    // 96x64 stored pixels x 11 B = 67,584 B: a budget of exactly one decode.
    const admission = configureDecodeAdmission({ memoryBudgetBytes: 96 * 64 * 11 });
    const heic = readFileSync(path.join(__dirname, '../fixtures/heic/plain.heic'));
    const limits = { maxSourceBytes: 1024 * 1024, maxSourcePixels: 1_000_000 };
    let mostWaiting = 0;
    const renders = Array.from({ length: 4 }, () =>
      renderDerivative(heic, { width: 48, height: 48 }, limits),
    );
    const watch = setInterval(() => (mostWaiting = Math.max(mostWaiting, admission.state().waiting)), 1);
    const results = await Promise.all(renders);
    clearInterval(watch);
    expect(results.map((result) => result.ok && result.derivative.width)).toEqual([48, 48, 48, 48]);
    expect(admission.state()).toEqual({ heldBytes: 0, waiting: 0 });
    expect(mostWaiting).toBeGreaterThanOrEqual(1); // the others waited their turn instead of failing
  });
});

describe('DECODE_MEMORY_BUDGET_MB', () => {
  it('defaults to one decode of the default MAX_SOURCE_PIXELS (50 MP at 11 B/px = 525 MiB)', () => {
    expect(DEFAULT_DECODE_MEMORY_BUDGET_MB).toBe(525);
    expect(loadSettings(testEnv()).decodeMemoryBudgetMb).toBe(525);
  });

  it('is refused below one decode of MAX_SOURCE_PIXELS, and follows a larger pixel limit by default', () => {
    expect(() => loadSettings({ ...testEnv(), DECODE_MEMORY_BUDGET_MB: '200' })).toThrow(
      'DECODE_MEMORY_BUDGET_MB',
    );
    expect(loadSettings({ ...testEnv(), DECODE_MEMORY_BUDGET_MB: '1200' }).decodeMemoryBudgetMb).toBe(1200);
    expect(loadSettings({ ...testEnv(), MAX_SOURCE_PIXELS: '100000000' }).decodeMemoryBudgetMb).toBe(
      minDecodeMemoryBudgetMb(100_000_000),
    );
    expect(() => loadSettings({ ...testEnv(), DECODE_MEMORY_BUDGET_MB: 'lots' })).toThrow(
      /^Expected a whole number of MiB from 525 .* to 262144 .* for DECODE_MEMORY_BUDGET_MB but received "lots"$/,
    );
  });
});
