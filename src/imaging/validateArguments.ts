import type { Box, SourceLimits } from './types';

/** Caller bugs, not image problems: thrown, in sharp's "Expected <what> for <name> but received <value>" shape. */
function assertPositiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(
      `Expected a positive integer for ${name} but received ${JSON.stringify(value) ?? typeof value}`,
    );
  }
}

export function assertRenderArguments(source: unknown, box: Box, limits: SourceLimits): void {
  if (!Buffer.isBuffer(source)) {
    throw new TypeError(
      `Expected a Buffer for source but received ${source === null ? 'null' : typeof source}`,
    );
  }
  assertPositiveInteger('box.width', box.width);
  assertPositiveInteger('box.height', box.height);
  assertPositiveInteger('limits.maxSourceBytes', limits.maxSourceBytes);
  assertPositiveInteger('limits.maxSourcePixels', limits.maxSourcePixels);
}
