/**
 * The one vocabulary for refusing a value, in the shape sharp's own argument errors use:
 * "Expected <what> for <name> but received <value>". Settings, size catalogs, activity inputs and the imaging
 * arguments all speak it, so every refusal names the field, what was wanted and what came.
 */
import { escapeInvisible } from './visibleText';

/** A received value described in words, for values that must not be echoed (keys, connection strings). */
export class ReceivedDescription {
  constructor(readonly text: string) {}
}

/**
 * A received value as the message shows it: JSON, long strings cut at 80 characters, secrets described, and
 * controls or bidi overrides spelled as escapes (the value may be a user's file or blob name).
 */
export function describeReceived(value: unknown): string {
  if (value instanceof ReceivedDescription) return value.text;
  if (value === undefined) return 'nothing';
  if (typeof value === 'string')
    return escapeInvisible(JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value));
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  // A JSON number the parser could not hold: `1e400` became Infinity (JSON.stringify would say `null`) and
  // `9007199254740993` became 9007199254740992 (it would say a number nobody sent). Words, not a wrong value.
  if (typeof value === 'number' && !Number.isFinite(value) && !Number.isNaN(value))
    return `a number too large to represent (${value > 0 ? 'more' : 'less'} than ${value > 0 ? '' : '-'}1.8e308)`;
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value))
    return `a number beyond the safe integer range (±${Number.MAX_SAFE_INTEGER})`;
  // JSON.stringify returns undefined for functions and symbols.
  return escapeInvisible(JSON.stringify(value) ?? typeof value);
}

/** `Expected ${expected} for ${name} but received ${describeReceived(received)}`. */
export function expectedMessage(expected: string, name: string, received: unknown): string {
  return `Expected ${expected} for ${name} but received ${describeReceived(received)}`;
}

/** `value` if it is a safe integer in [min, max], else undefined. Numbers only: text is parsed by the caller. */
export function integerInRange(
  value: unknown,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max
    ? value
    : undefined;
}

/** `value` if it is a safe integer >= 1 (and <= max), else undefined. */
export function positiveInteger(value: unknown, max?: number): number | undefined {
  return integerInRange(value, 1, max);
}

/** Decimal digits (surrounding blanks allowed) as a number; anything else unchanged, for `positiveInteger`. */
export function fromDecimalText(value: unknown): unknown {
  return typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
}
