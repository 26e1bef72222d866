import { describe, expect, it } from 'vitest';
import { expectedMessage } from '../../src/domain/validation';
import { escapeInvisible, visibleText } from '../../src/domain/visibleText';
import { textModule } from '../../src/site/staticFiles';

const SAMPLES = [
  'photo\u202egpj.exe',
  'a\u2066b\u2069c\u200fd\u200ee\u061cf',
  'bell\u0007tab\tdel\u007fc1\u0085',
  'zero\u200bwidth\u2060joiner\ufeff',
  'e\u0301.png',
  '👩\u200d💻 keeps its joiner',
  'فارسی\u200cنیم‌فاصله',
  '\u3164\u3164.jpg',
  'a\u115fb\u1160c\uffa0d\u2800e\u00adf\u034fg\u2061h\u{e0041}\u{e0042}i\u{1d173}j',
  '❤\ufe0f keeps its variation selector',
];

describe('visibleText and escapeInvisible: one set of characters never shown as received', () => {
  it('strips controls, bidi overrides, isolates and marks, keeps joiners, NFC', () => {
    expect(SAMPLES.map(visibleText)).toEqual([
      'photogpj.exe',
      'abcdef',
      'belltabdelc1',
      'zerowidthjoiner',
      'é.png',
      '👩\u200d💻 keeps its joiner',
      'فارسی\u200cنیم‌فاصله',
      '.jpg',
      'abcdefghij',
      '❤\ufe0f keeps its variation selector',
    ]);
  });

  it('escapes them in diagnostics, so a 400 shows what came without acting on it', () => {
    expect(escapeInvisible('photo\u202egpj.exe')).toBe('photo\\u202egpj.exe');
    expect(expectedMessage('a blob name', 'blobName', 'x\u202ey.jpg')).toBe(
      'Expected a blob name for blobName but received "x\\u202ey.jpg"',
    );
    expect(expectedMessage('keys', 'the body', ['a\u2067b'])).toBe(
      'Expected keys for the body but received ["a\\u2067b"]',
    );
  });

  it('the page module text.js strips exactly the same characters', async () => {
    const module = (await import(
      `data:text/javascript;base64,${Buffer.from(textModule()).toString('base64')}`
    )) as { visibleText: (text: string) => string };
    expect(SAMPLES.map(module.visibleText)).toEqual(SAMPLES.map(visibleText));
  });
});
