/**
 * Table storage caps a string property at 64 KiB (32K UTF-16 units) and an entity at 1 MiB, so long JSON texts
 * are stored as `{name}_0..{name}_n` with `{name}_Chunks` (the way DTFx's Azure Storage provider splits large
 * values). Values that would not fit one entity are refused with a clear error instead of a storage fault.
 */
const CHUNK_CHARS = 30_000;
const MAX_CHUNKS = 15; // 15 x 30K UTF-16 units = 900 KB, leaving room for the other properties of the entity.

export class PayloadTooLargeError extends Error {
  constructor(what: string, chars: number) {
    super(
      `${what} is ${chars} characters of JSON; the local Durable engine stores at most ${CHUNK_CHARS * MAX_CHUNKS} per value.`,
    );
    this.name = 'PayloadTooLargeError';
  }
}

/** Per value of an instance row, which holds input, output and custom status together within 1 MiB. */
export const MAX_INSTANCE_VALUE_CHARS = 200_000;
/** The extension refuses custom status values over 16 KB. */
export const MAX_CUSTOM_STATUS_CHARS = 16_384;

export function maxChunkedChars(): number {
  return CHUNK_CHARS * MAX_CHUNKS;
}

/** Properties holding `value` under `name` (nothing when the value is absent). */
export function toChunkedProperties(
  name: string,
  value: string | null | undefined,
): Record<string, string | number> {
  if (value === null || value === undefined) return {};
  if (value.length > CHUNK_CHARS * MAX_CHUNKS) throw new PayloadTooLargeError(name, value.length);
  const properties: Record<string, string | number> = {};
  const count = Math.max(1, Math.ceil(value.length / CHUNK_CHARS));
  for (let index = 0; index < count; index++) {
    properties[`${name}_${index}`] = value.slice(index * CHUNK_CHARS, (index + 1) * CHUNK_CHARS);
  }
  properties[`${name}_Chunks`] = count;
  return properties;
}

/** Reassembles a value written by `toChunkedProperties`; undefined when it was absent. */
export function fromChunkedProperties(entity: Record<string, unknown>, name: string): string | undefined {
  const count = entity[`${name}_Chunks`];
  if (typeof count !== 'number') return undefined;
  let value = '';
  for (let index = 0; index < count; index++) {
    const part = entity[`${name}_${index}`];
    if (typeof part !== 'string')
      throw new Error(`Stored value ${name} is missing chunk ${index} of ${count}`);
    value += part;
  }
  return value;
}
