import { DEFAULT_SIZES } from '../../src/config/sizes';
import type { SizeSpec } from '../../src/domain/types';
import { renderDerivative } from '../../src/imaging';
import type { RenderedDerivative, SourceLimits } from '../../src/imaging/types';

/**
 * The app's default pixel budget (DESIGN.md: 50 megapixels). The byte limit is raised from the default 50 MiB:
 * a photographic 24-MP PNG is ~63 MB, which the app would turn away as `too-large` before decoding, and the
 * benchmark wants its pixel cost. Every other check runs as in production.
 */
export const BENCH_LIMITS: SourceLimits = { maxSourceBytes: 128 * 1024 * 1024, maxSourcePixels: 50_000_000 };
export const APP_DEFAULT_MAX_SOURCE_BYTES = 50 * 1024 * 1024;

export const BENCH_SIZES: readonly SizeSpec[] = DEFAULT_SIZES;

/** One size exactly as a `resize-{label}` activity renders it: its own decode of the whole source. */
export async function renderOneSize(source: Buffer, size: SizeSpec): Promise<RenderedDerivative> {
  const result = await renderDerivative(source, { width: size.width, height: size.height }, BENCH_LIMITS);
  if (!result.ok)
    throw new Error(
      `renderDerivative failed for ${size.label}: ${result.error.code} ${result.error.message}`,
    );
  return result.derivative;
}
