import { ArgumentError } from '../domain/errors';
import { positiveInteger } from '../domain/validation';
import type { Box, SourceLimits } from './types';

/** Caller bugs, not image problems: thrown as `ArgumentError` ("Expected … for … but received …"). */
function assertPositiveInteger(name: string, value: unknown): void {
  if (positiveInteger(value) === undefined) throw new ArgumentError(name, 'a positive integer', value);
}

export function assertRenderArguments(source: unknown, box: Box, limits: SourceLimits): void {
  if (!Buffer.isBuffer(source)) throw new ArgumentError('source', 'a Buffer', source);
  assertPositiveInteger('box.width', box.width);
  assertPositiveInteger('box.height', box.height);
  assertPositiveInteger('limits.maxSourceBytes', limits.maxSourceBytes);
  assertPositiveInteger('limits.maxSourcePixels', limits.maxSourcePixels);
}
