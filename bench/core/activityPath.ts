import { DEFAULT_SIZES } from '../../src/config/sizes';
import type { SizeSpec } from '../../src/domain/types';
import {
  decodeOncePays,
  detectFormat,
  prepareIntermediate,
  renderRendition,
  renderRenditionFromIntermediate,
} from '../../src/imaging';
import { readHeifContainer } from '../../src/imaging/heif/container';
import { decodeHeic } from '../../src/imaging/heif/decodeHeic';
import { describePrimaryImage } from '../../src/imaging/heif/primaryImage';
import { measureCpuMs } from '../cpuTime';
import type { RenderedDerivative, SourceLimits } from '../../src/imaging/types';

/**
 * The app's default pixel budget (docs/design.md: 50 megapixels). The byte limit is raised from the default 50 MiB:
 * a photographic 24-MP PNG is ~63 MB, which the app would turn away as `too-large` before decoding, and the
 * benchmark wants its pixel cost. Every other check runs as in production.
 */
/** The app's default pixel limit; `MAX_SOURCE_PIXELS` in the environment overrides it (an RGBA 48-MP HEIC decodes 98 MP). */
export const BENCH_LIMITS: SourceLimits = {
  maxSourceBytes: 128 * 1024 * 1024,
  maxSourcePixels: Number(process.env.MAX_SOURCE_PIXELS ?? 50_000_000),
};
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

/** A bench box as the default rendition spec (`inside`, the source's format). */
function defaultSpec(size: BenchSize): SizeSpec {
  return { ...size, fit: 'inside', formats: ['source'] };
}

/** One size exactly as a default `resize-{label}` activity renders it: its own decode of the whole source. */
export async function renderOneSize(source: Buffer, size: BenchSize): Promise<RenderedDerivative> {
  const result = await renderRendition(source, defaultSpec(size), BENCH_LIMITS);
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

/** Whether the app decodes this source once for all sizes (prepareSource) rather than once per size. */
export function decodesOnceInApp(source: Buffer): boolean {
  const detected = detectFormat(source);
  return detected.kind === 'decodable' && decodeOncePays(detected.format) && BENCH_SIZES.length > 1;
}

/** CPU of the app's path for one image: `sharedMs` is prepareSource's decode (0 when each size decodes). */
export async function appPathCpu(
  source: Buffer,
  sizes: readonly BenchSize[],
): Promise<{ sharedMs: number; perSize: Record<string, number> }> {
  const perSize: Record<string, number> = {};
  if (!decodesOnceInApp(source)) {
    for (const size of sizes)
      perSize[size.label] = (await measureCpuMs(() => renderOneSize(source, size))).cpuMs;
    return { sharedMs: 0, perSize };
  }
  const specs = sizes.map(defaultSpec);
  const prepared = await measureCpuMs(() => prepareIntermediate(source, specs, BENCH_LIMITS));
  if (!prepared.result.ok) throw new Error(`prepareIntermediate failed: ${prepared.result.error.message}`);
  const { intermediate } = prepared.result;
  for (const spec of specs) {
    const rendered = await measureCpuMs(() =>
      renderRenditionFromIntermediate(intermediate.data, intermediate.source, spec),
    );
    if (!rendered.result.ok || !rendered.result.outputs.every((output) => output.ok))
      throw new Error(`renderRenditionFromIntermediate failed for ${spec.label}`);
    perSize[spec.label] = rendered.cpuMs;
  }
  return { sharedMs: prepared.cpuMs, perSize };
}

/** A HEIC's decode alone (libheif in its worker thread, into the TIFF sharp reads): CPU ms and the heap. */
export async function heicDecodeCpu(
  source: Buffer,
): Promise<{ cpuMs: number; heapMb: number; tiff: Buffer }> {
  const primary = describePrimaryImage(readHeifContainer(source));
  const { result, cpuMs } = await measureCpuMs(() =>
    decodeHeic(source, primary, { maxPixels: BENCH_LIMITS.maxSourcePixels }),
  );
  if (!result.ok) throw new Error(`decodeHeic failed: ${result.error.message}`);
  return { cpuMs, heapMb: result.decoded.heapBytes / 1048576, tiff: result.decoded.tiff };
}
