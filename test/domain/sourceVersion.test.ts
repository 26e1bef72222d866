import { describe, expect, it } from 'vitest';
import {
  arbitrateDelete,
  arbitrateWrite,
  compareSequencers,
  compareSourceVersion,
  laterSequencer,
  type StoredVersion,
} from '../../src/domain/sourceVersion';

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

describe('arbitrateWrite: storage first, sequencers only when neither version is current', () => {
  const FORGED = 'f'.repeat(32);
  const low = '00000000000000000000000000000002';
  const doc = (eTag: string, sequencer: string): StoredVersion => ({ kind: 'document', eTag, sequencer });
  const head = (eTag: string | undefined) => () => Promise.resolve(eTag);
  const noHead = () => Promise.reject(new Error('HEAD not expected'));

  it.each<[string, { eTag: string; sequencer: string }, StoredVersion, string | undefined, string]>([
    [
      'the current version beats a forged max sequencer',
      { eTag: '"0x3"', sequencer: low },
      doc('0x2', FORGED),
      '0x3',
      'newer',
    ],
    [
      'a forged max sequencer loses to the current document',
      { eTag: '"0x9"', sequencer: FORGED },
      doc('0x3', low),
      '"0x3"',
      'older',
    ],
    [
      'the current version writes over a forged tombstone',
      { eTag: '0x3', sequencer: low },
      { kind: 'tombstone', sequencer: FORGED },
      '0x3',
      'newer',
    ],
    [
      'nothing is written for a gone source',
      { eTag: '0x3', sequencer: FORGED },
      doc('0x2', low),
      undefined,
      'gone',
    ],
    [
      'both replaced: a later sequencer wins',
      { eTag: '0x3', sequencer: '00000000000000000000000000000005' },
      doc('0x2', low),
      '0x4',
      'newer',
    ],
    [
      'both replaced: an earlier sequencer loses',
      { eTag: '0x1', sequencer: '00000000000000000000000000000001' },
      doc('0x2', low),
      '0x4',
      'older',
    ],
    [
      'both replaced: an unknown order loses',
      { eTag: '0x1', sequencer: '' },
      doc('0x2', low),
      '0x4',
      'older',
    ],
  ])('%s', async (_case, run, stored, current, expected) => {
    expect(await arbitrateWrite(run, stored, head(current))).toBe(expected);
  });

  it('merges the same version without asking storage', async () => {
    expect(await arbitrateWrite({ eTag: '"0x2"', sequencer: '' }, doc('0x2', low), noHead)).toBe('same');
  });
});

describe('arbitrateDelete', () => {
  const FORGED = 'f'.repeat(32);
  const seq = (n: number) => n.toString(16).padStart(32, '0');
  const doc = (eTag: string, sequencer: string): StoredVersion => ({ kind: 'document', eTag, sequencer });

  it.each<[string, StoredVersion | undefined, string | undefined, 'apply' | 'older']>([
    ['source gone: applies over a forged max sequencer', doc('0x2', FORGED), undefined, 'apply'],
    [
      'source gone: applies over a later real sequencer (its own delete follows)',
      doc('0x2', seq(9)),
      undefined,
      'apply',
    ],
    ['the document is the blob as it is now (uploaded again): older', doc('0x2', seq(1)), '"0x2"', 'older'],
    ['another version exists: a later document sequencer wins', doc('0x2', seq(9)), '0x3', 'older'],
    ['another version exists: an earlier document sequencer loses', doc('0x2', seq(1)), '0x3', 'apply'],
    ['a tombstone of a later delete: older', { kind: 'tombstone', sequencer: seq(9) }, undefined, 'older'],
    [
      'a tombstone of the same delete (redelivery): applies again',
      { kind: 'tombstone', sequencer: seq(5) },
      undefined,
      'apply',
    ],
    ['nothing stored: applies', undefined, '0x3', 'apply'],
  ])('%s', (_case, stored, current, expected) => {
    expect(arbitrateDelete(seq(5), stored, current)).toBe(expected);
  });
});
