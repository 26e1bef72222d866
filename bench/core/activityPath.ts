import { DEFAULT_SIZES } from '../../src/config/sizes';
import { renderRendition } from '../../src/imaging';
import type { RenderedDerivative, SourceLimits } from '../../src/imaging/types';

/**
 * The app's default pixel budget (DESIGN.md: 50 megapixels). The byte limit is raised from the default 50 MiB:
 * a photographic 24-MP PNG is ~63 MB, which the app would turn away as `too-large` before decoding, and the
 * benchmark wants its pixel cost. Every other check runs as in production.
 */
export const BENCH_LIMITS: SourceLimits = { maxSourceBytes: 128 * 1024 * 1024, maxSourcePixels: 50_000_000 };
export const APP_DEFAULT_MAX_SOURCE_BYTES = 50 * 1024 * 1024;

/** A box of the default renditions (`inside`, the source's format): what the core comparison measures. */
export interface BenchSize {
  label: string;
  width: number;
  height: number;
}

export const BENCH_SIZES: readonly BenchSize[] = DEFAULT_SIZES.map(({ label, width, height }) => {
  if (width === undefined || height === undefined) throw new Error(`default size ${label} has no box`);
  return { label, width, height };
});

/** One size exactly as a default `resize-{label}` activity renders it: its own decode of the whole source. */
export async function renderOneSize(source: Buffer, size: BenchSize): Promise<RenderedDerivative> {
  const result = await renderRendition(source, { ...size, fit: 'inside', formats: ['source'] }, BENCH_LIMITS);
  if (!result.ok)
    throw new Error(`renderRendition failed for ${size.label}: ${result.error.code} ${result.error.message}`);
  const [output] = result.outputs;
  if (output === undefined || !output.ok) {
    throw new Error(
      `renderRendition failed for ${size.label}: ${JSON.stringify(output?.ok === false ? output.error : output)}`,
    );
  }
  return { ...output.derivative, source: result.source };
}
