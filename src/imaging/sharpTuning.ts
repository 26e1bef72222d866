import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { ArgumentError } from '../domain/errors';
import { positiveInteger } from '../domain/validation';

export interface SharpTuning {
  /** libvips worker threads per image pipeline (`sharp.concurrency`). */
  threadsPerImage: number;
  /** Concurrent resize activities this worker was tuned for. */
  activityConcurrency: number;
  /** CPU cores seen by this process. */
  cores: number;
}

function checkedCount(name: string, value: number): number {
  if (positiveInteger(value) === undefined) throw new ArgumentError(name, 'a positive integer', value);
  return value;
}

/**
 * Tunes sharp for `activityConcurrency` resize activities running side by side in this worker; call once.
 * - `sharp.cache(false)`: libvips' operation cache pays off when the same operations run again on the same
 *   input. Every activity decodes a different source (or the same source once per size, through a fresh
 *   buffer), so the cache never hits and only holds decoded memory (50 MB by default) that the next
 *   activity needs.
 * - `sharp.concurrency(max(1, floor(cores / activityConcurrency)))`: libvips threads per pipeline. With N
 *   activities decoding at once, N x threads should not exceed the cores, or they time-slice and each image
 *   holds its buffers longer. More than one thread per image only helps when fewer images than cores run.
 * (sharp runs each pipeline on a libuv worker; `UV_THREADPOOL_SIZE`, default 4, must be >= the activity
 * concurrency for all of them to run at once. The default matches host.json's 4.)
 * `activityConcurrency` comes from the host configuration (src/config/hostConfig.ts): imaging itself knows
 * nothing of Functions.
 */
export function configureSharp(options: { activityConcurrency: number; cores?: number }): SharpTuning {
  const activityConcurrency = checkedCount('activityConcurrency', options.activityConcurrency);
  const cores = checkedCount('cores', options.cores ?? availableParallelism());
  const threadsPerImage = Math.max(1, Math.floor(cores / activityConcurrency));
  sharp.cache(false);
  sharp.concurrency(threadsPerImage);
  return { threadsPerImage, activityConcurrency, cores };
}
