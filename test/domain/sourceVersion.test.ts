import { describe, expect, it } from 'vitest';
import { compareSequencers, compareSourceVersion, laterSequencer } from '../../src/domain/sourceVersion';

const run = (sequencer: string) => ({ eTag: '"0x1"', sequencer });
const stored = (sequencer: string) => ({ eTag: '"0x2"', sequencer });

describe('compareSequencers', () => {
  it('orders equal-width sequencers by their digits', () => {
    expect(
      compareSequencers('00000000000004420000000000028963', '00000000000004420000000000028964'),
    ).toBeLessThan(0);
    expect(compareSequencers('0000000000000443', '0000000000000442')).toBeGreaterThan(0);
    expect(compareSequencers('00ab', '00ab')).toBe(0);
  });

  it('orders a 32-digit and a 48-digit sequencer as numbers, not as strings', () => {
    const short = '00000000000000000000000000000009'; // 9
    const long = '000000000000000000000000000000000000000000000010'; // 16
    // As raw strings '0000…9' > '0000…1…' would put the smaller number last.
    expect(short > long).toBe(true);
    expect(compareSequencers(short, long)).toBeLessThan(0);
    expect(compareSequencers(long, short)).toBeGreaterThan(0);
  });

  it('ignores letter case', () => {
    expect(compareSequencers('00000000000000000000000000000ABC', '00000000000000000000000000000abc')).toBe(0);
    expect(
      compareSequencers('00000000000000000000000000000ABD', '00000000000000000000000000000abc'),
    ).toBeGreaterThan(0);
  });
});

describe('compareSourceVersion and laterSequencer use the numeric order', () => {
  it('a 48-digit newer sequencer beats a 32-digit older one in both directions', () => {
    const older = '00000000000000000000000000000009';
    const newer = '000000000000000000000000000000000000000000000010';
    expect(compareSourceVersion(run(newer), stored(older))).toBe('newer');
    expect(compareSourceVersion(run(older), stored(newer))).toBe('older');
    expect(laterSequencer(older, newer)).toBe(newer);
    expect(laterSequencer(newer, older)).toBe(newer);
  });

  it('an empty sequencer is earlier than any and makes the order unknown', () => {
    expect(laterSequencer('', '01')).toBe('01');
    expect(compareSourceVersion(run(''), stored('01'))).toBe('unknown');
  });
});
