import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { BenchSize } from './activityPath';
import type { CorpusImage } from '../corpus';
import { median, sum } from '../stats';
import { appPathCpu, heicDecodeCpu } from './activityPath';
import { encoderFormatOf, PILLOW_ENCODER, PILLOW_MATCHED_ENCODER, type PillowEncoder } from './encoder';
import { floorRender } from './floor';
import { runPillow, type PillowAvailability, type PillowRun } from './pillow';

/** Medians over the repetitions, in CPU milliseconds. */
export interface ApproachFigures {
  perSizeMs: Record<string, number>;
  /** Shared work done once per image (a decode), 0 for the per-size design. */
  sharedMs: number;
  totalMs: number;
  /** The slowest single step a parallel design waits for; for sequential designs, the whole image. */
  criticalPathMs: number;
}

export interface ImageComparison {
  image: string;
  format: string;
  /** HEIC only: the decode alone (libheif in WebAssembly, in its worker thread), median CPU ms and heap. */
  heicDecode?: { cpuMs: number; heapMb: number };
  /**
   * The floor's decode plus its slowest size (medians over the repetitions): what the critical path of any
   * design costs that decodes once on one thread and fans the sizes out, with nothing of its own added.
   */
  floorCriticalMs: number;
  /** False for an image measured only to size the burst (not part of the corpus the ratios describe). */
  inCorpus: boolean;
  ours: ApproachFigures;
  floor: ApproachFigures;
  pillow: ApproachFigures | undefined;
  /** Pillow with the activity path's encoder settings (informational; targets use `pillow`). */
  pillowMatched: ApproachFigures | undefined;
  ratios: {
    oursTotalVsPillow: number | undefined;
    oursTotalVsPillowMatched: number | undefined;
    oursCriticalVsPillow: number | undefined;
    oursTotalVsFloor: number;
    oursCriticalVsFloor: number;
  };
}

export interface Aggregate {
  oursTotalMs: number;
  oursCriticalMs: number;
  floorTotalMs: number;
  pillowTotalMs: number | undefined;
  pillowMatchedTotalMs: number | undefined;
  oursTotalVsPillow: number | undefined;
  oursCriticalVsPillow: number | undefined;
  oursTotalVsPillowMatched: number | undefined;
  oursTotalVsFloor: number;
  oursCriticalVsFloor: number;
  /** Sum of `floorCriticalMs` over Pillow's total: the critical-path ratio no decode-once fan-out beats. */
  floorCriticalVsPillow: number | undefined;
}

export interface CoreComparison {
  repetitions: number;
  sharpConcurrency: number;
  images: ImageComparison[];
  /** Corpus-wide ratios: sums of the per-image medians (bigger images weigh more, as in CPU bills). */
  aggregate: Aggregate;
  /** The same per source format: JPEG (most uploads) behaves very differently from PNG and WebP. */
  byFormat: Record<string, Aggregate>;
  pillow:
    | { version: string; python: string; encoder: PillowEncoder; matchedEncoder: PillowEncoder }
    | { skipped: string };
}

/**
 * Ratios to Pillow are over the images Pillow could read (not HEIC), so a format without a Pillow baseline
 * neither counts as free nor hides the others.
 */
function aggregateOf(comparisons: readonly ImageComparison[]): Aggregate {
  const oursTotalMs = sum(comparisons.map((item) => item.ours.totalMs));
  const oursCriticalMs = sum(comparisons.map((item) => item.ours.criticalPathMs));
  const floorTotalMs = sum(comparisons.map((item) => item.floor.totalMs));
  const withPillow = comparisons.filter((item) => item.pillow !== undefined);
  const pillowTotalMs =
    withPillow.length > 0 ? sum(withPillow.map((item) => item.pillow?.totalMs ?? 0)) : undefined;
  const withMatched = comparisons.filter((item) => item.pillowMatched !== undefined);
  const pillowMatchedTotalMs =
    withMatched.length > 0 ? sum(withMatched.map((item) => item.pillowMatched?.totalMs ?? 0)) : undefined;
  const oursBesidePillowMs = sum(withPillow.map((item) => item.ours.totalMs));
  const oursCriticalBesidePillowMs = sum(withPillow.map((item) => item.ours.criticalPathMs));
  const oursBesideMatchedMs = sum(withMatched.map((item) => item.ours.totalMs));
  const floorCriticalBesidePillowMs = sum(withPillow.map((item) => item.floorCriticalMs));
  return {
    oursTotalMs,
    oursCriticalMs,
    floorTotalMs,
    pillowTotalMs,
    pillowMatchedTotalMs,
    oursTotalVsPillow: pillowTotalMs && oursBesidePillowMs / pillowTotalMs,
    oursTotalVsPillowMatched: pillowMatchedTotalMs && oursBesideMatchedMs / pillowMatchedTotalMs,
    oursCriticalVsPillow: pillowTotalMs && oursCriticalBesidePillowMs / pillowTotalMs,
    oursTotalVsFloor: oursTotalMs / floorTotalMs,
    oursCriticalVsFloor: oursCriticalMs / floorTotalMs,
    floorCriticalVsPillow: pillowTotalMs && floorCriticalBesidePillowMs / pillowTotalMs,
  };
}

/**
 * Medians of per-repetition figures. `sequential` designs (floor, Pillow) finish an image only after every
 * step, so their critical path is the whole image; the per-size design waits for its slowest size.
 */
function figuresFrom(
  sharedRuns: readonly number[],
  sizeRuns: ReadonlyArray<Record<string, number>>,
  sizes: readonly BenchSize[],
  sequential: boolean,
): ApproachFigures {
  const perSizeMs = Object.fromEntries(
    sizes.map((size) => [size.label, median(sizeRuns.map((run) => run[size.label] ?? 0))]),
  );
  const totals = sizeRuns.map((run, index) => (sharedRuns[index] ?? 0) + sum(Object.values(run)));
  const critical = sizeRuns.map((run, index) =>
    sequential ? (totals[index] as number) : (sharedRuns[index] ?? 0) + Math.max(...Object.values(run)),
  );
  return {
    perSizeMs,
    sharedMs: median(sharedRuns),
    totalMs: median(totals),
    criticalPathMs: median(critical),
  };
}

function pillowFiguresFrom(
  runs: PillowRun[] | undefined,
  sizes: readonly BenchSize[],
): ApproachFigures | undefined {
  if (runs === undefined) return undefined;
  return figuresFrom(
    runs.map((run) => run.decodeMs),
    runs.map((run) => run.sizes),
    sizes,
    true,
  );
}

/** The app's path: per size for JPEG, decode once (prepareSource, then each size) for everything else. */
function oursOnce(source: Buffer, sizes: readonly BenchSize[]) {
  return appPathCpu(source, sizes);
}

interface LibvipsRuns {
  oursShared: number[];
  ours: Array<Record<string, number>>;
  heicDecode: Array<{ cpuMs: number; heapMb: number }>;
  floorDecode: number[];
  floorSizes: Array<Record<string, number>>;
}

/**
 * Single thread, same inputs, one image at a time: the activity path (one decode per size), the libvips
 * floor (one decode for all sizes) and Pillow (the approach replaced). Ours and the floor alternate per
 * repetition so any background load hits both alike.
 */
export async function compareCore(
  images: readonly CorpusImage[],
  /** Names of the corpus images; others in `images` are measured but kept out of the aggregates. */
  corpusNames: ReadonlySet<string>,
  sizes: readonly BenchSize[],
  repetitions: number,
  pillow: PillowAvailability,
  log: (line: string) => void,
): Promise<CoreComparison> {
  // One libvips thread and no operation cache: CPU time is then the cost of the call, and repeating the same
  // input never hits a cached result. Restored afterwards for whatever runs next in this process.
  const previousConcurrency = sharp.concurrency();
  sharp.concurrency(1);
  sharp.cache(false);
  const libvipsRuns = new Map<string, LibvipsRuns>();
  try {
    for (const image of images) {
      const source = await readFile(image.file);
      const format = encoderFormatOf(image.format);
      const runs: LibvipsRuns = { oursShared: [], ours: [], heicDecode: [], floorDecode: [], floorSizes: [] };
      // One warm-up of each path: first calls pay for lazy library loading, not for resizing.
      await oursOnce(source, sizes);
      await floorRender(source, sizes, format);
      for (let repetition = 0; repetition < repetitions; repetition += 1) {
        const ours = await oursOnce(source, sizes);
        runs.oursShared.push(ours.sharedMs);
        runs.ours.push(ours.perSize);
        if (image.format === 'heic') {
          const decoded = await heicDecodeCpu(source);
          runs.heicDecode.push({ cpuMs: decoded.cpuMs, heapMb: decoded.heapMb });
        }
        const floor = await floorRender(source, sizes, format);
        runs.floorDecode.push(floor.decodeMs);
        runs.floorSizes.push(floor.sizes);
      }
      libvipsRuns.set(image.file, runs);
      log(`core: ${image.name} done (${repetitions} repetitions)`);
    }
  } finally {
    sharp.concurrency(previousConcurrency);
  }

  let pillowRuns: Map<string, PillowRun[]> | undefined;
  let pillowMatchedRuns: Map<string, PillowRun[]> | undefined;
  let pillowInfo: CoreComparison['pillow'];
  if (pillow.available) {
    // Pillow cannot read HEIC without a plugin Debian does not package: HEIC has no Pillow baseline.
    const files = images.filter((image) => image.format !== 'heic').map((image) => image.file);
    const result = await runPillow(pillow.python, files, sizes, repetitions, PILLOW_ENCODER);
    pillowRuns = result.runs;
    log(`core: Pillow ${result.version} done`);
    pillowMatchedRuns = (await runPillow(pillow.python, files, sizes, repetitions, PILLOW_MATCHED_ENCODER))
      .runs;
    log(`core: Pillow with the activity path's encoder settings done`);
    pillowInfo = {
      version: result.version,
      python: result.python,
      encoder: PILLOW_ENCODER,
      matchedEncoder: PILLOW_MATCHED_ENCODER,
    };
  } else {
    pillowInfo = { skipped: pillow.note };
  }

  const comparisons: ImageComparison[] = [];
  for (const image of images) {
    const runs = libvipsRuns.get(image.file);
    if (runs === undefined) continue;
    const ours = figuresFrom(runs.oursShared, runs.ours, sizes, false);
    const floor = figuresFrom(runs.floorDecode, runs.floorSizes, sizes, true);
    const pillowFigures = pillowFiguresFrom(pillowRuns?.get(image.file), sizes);
    const pillowMatched = pillowFiguresFrom(pillowMatchedRuns?.get(image.file), sizes);
    const heicDecode =
      runs.heicDecode.length === 0
        ? undefined
        : {
            cpuMs: median(runs.heicDecode.map((run) => run.cpuMs)),
            heapMb: Math.max(...runs.heicDecode.map((run) => run.heapMb)),
          };
    const floorCriticalMs = median(
      runs.floorSizes.map((run, index) => (runs.floorDecode[index] ?? 0) + Math.max(...Object.values(run))),
    );
    comparisons.push({
      image: image.name,
      format: image.format,
      floorCriticalMs,
      ...(heicDecode === undefined ? {} : { heicDecode }),
      inCorpus: corpusNames.has(image.name),
      ours,
      floor,
      pillow: pillowFigures,
      pillowMatched,
      ratios: {
        oursTotalVsPillow: pillowFigures && ours.totalMs / pillowFigures.totalMs,
        oursTotalVsPillowMatched: pillowMatched && ours.totalMs / pillowMatched.totalMs,
        oursCriticalVsPillow: pillowFigures && ours.criticalPathMs / pillowFigures.totalMs,
        oursTotalVsFloor: ours.totalMs / floor.totalMs,
        oursCriticalVsFloor: ours.criticalPathMs / floor.totalMs,
      },
    });
  }
  const corpus = comparisons.filter((item) => item.inCorpus);
  const formats = [...new Set(corpus.map((item) => item.format))];
  return {
    repetitions,
    sharpConcurrency: 1,
    images: comparisons,
    aggregate: aggregateOf(corpus),
    byFormat: Object.fromEntries(
      formats.map((format) => [format, aggregateOf(corpus.filter((item) => item.format === format))]),
    ),
    pillow: pillowInfo,
  };
}
