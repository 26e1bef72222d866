/**
 * `npm run bench`: speed, memory and cost of the per-size sharp pipeline against the libvips CPU floor and
 * the Pillow approach it replaces, plus an end-to-end burst on the local stack, in one run.
 * Flags: --smoke, --images <dir>, --uploads N, --unloaded M, --reps N, --instance-memory-mb N, --renditions-only,
 * --no-e2e, --formats <list>, --out <dir>.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generatedCorpus, userCorpus, type CorpusImage } from './corpus';
import { APP_DEFAULT_MAX_SOURCE_BYTES, BENCH_SIZES } from './core/activityPath';
import { compareCore } from './core/compare';
import { findPillow } from './core/pillow';
import { costScenarios, projectCost } from './cost';
import type { EndToEndResult } from './e2e/burst';
import { machineInfo } from './machine';
import { measurePeakRss } from './memory/measure';
import { benchSourceDir, parseOptions, type BenchOptions } from './options';
import { renderBackfillReport } from './backfill/report';
import { runBackfillBench } from './backfill/backfillBench';
import { APP_CANDIDATES, CANDIDATES, measureRenditions } from './renditions/measure';
import { renderRenditions } from './renditions/report';
import { renderReport } from './report/table';
import { renderSvg } from './report/svg';
import type { BenchResult } from './result';
import { evaluateTargets } from './targets';

const log = (line: string): void => console.error(`[bench] ${line}`);

/** The image closest to the wanted size in the wanted format, if the corpus has one. */
function closest(
  images: readonly CorpusImage[],
  format: string,
  megapixels: number,
): CorpusImage | undefined {
  return images
    .filter((image) => image.format === format)
    .sort((a, b) => Math.abs(a.megapixels - megapixels) - Math.abs(b.megapixels - megapixels))[0];
}

/** `--backfill`: the backfill benchmark alone, written to backfill.json beside latest.json. */
async function backfillMain(options: BenchOptions): Promise<void> {
  const result = await runBackfillBench({
    appRoot: path.resolve(benchSourceDir(), '..'),
    images: options.backfillImages,
    maxInFlight: options.backfillInFlight,
    log,
  });
  const machine = machineInfo();
  await mkdir(options.resultsDir, { recursive: true });
  const file = path.join(options.resultsDir, 'backfill.json');
  await writeFile(
    file,
    `${JSON.stringify({ machine, date: new Date().toISOString(), ...result }, null, 2)}\n`,
  );
  console.log(renderBackfillReport(result));
  log(`wrote ${file}`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.backfill) return backfillMain(options);
  const started = Date.now();
  const machine = machineInfo();
  const notes: string[] = [];
  if (machine.loadAverageAtStart > machine.cores * 0.5) {
    notes.push(
      `Load average was ${machine.loadAverageAtStart} on ${machine.cores} cores at the start: the CPU was not idle, so wall-clock figures (latency, throughput) are pessimistic; CPU-time figures are less affected.`,
    );
  }

  // 1. Corpus.
  const generatedTiers = options.smoke ? [1] : options.renditionsOnly ? [12] : [2, 12, 24];
  // The renditions section reads one JPEG only: `--renditions-only` generates nothing else.
  const generated = await generatedCorpus(
    options.corpusDir,
    generatedTiers,
    log,
    options.renditionsOnly ? ['jpeg'] : options.formats,
  );
  const images = options.imagesDir === undefined ? generated : await userCorpus(options.imagesDir);
  const corpusDescription = images
    .map((image) => `${image.name} ${image.width}x${image.height} ${(image.bytes / 1e6).toFixed(1)} MB`)
    .join('; ');
  log(`corpus: ${corpusDescription}`);
  const oversized = images.filter((image) => image.bytes > APP_DEFAULT_MAX_SOURCE_BYTES);
  if (oversized.length > 0) {
    notes.push(
      `${oversized.map((image) => image.name).join(', ')} exceed the app's default MAX_SOURCE_BYTES (50 MiB): the app would reject them as too-large before decoding; the benchmark raises the byte limit to measure their pixels.`,
    );
  }
  // Renditions: every output format at every default size, on the JPEG the burst uses (most uploads are JPEG).
  const renditionsImage = closest([...images, ...generated], 'jpeg', options.smoke ? 1 : 12) as CorpusImage;
  // The smoke run measures only the app's own settings (the grid takes minutes).
  const renditions = await measureRenditions(
    renditionsImage,
    BENCH_SIZES,
    options.repetitions,
    log,
    options.smoke ? APP_CANDIDATES : CANDIDATES,
  );
  if (options.renditionsOnly) {
    await mkdir(options.resultsDir, { recursive: true });
    await writeFile(
      path.join(options.resultsDir, 'renditions.json'),
      `${JSON.stringify(renditions, null, 2)}\n`,
    );
    console.log(renderRenditions(renditions));
    console.log(`\nWrote ${path.join(options.resultsDir, 'renditions.json')}`);
    return;
  }

  // The burst uses 12-MP JPEGs and memory a 24-MP source (the smoke corpus has only its small tier).
  const burstImage = closest([...images, ...generated], 'jpeg', options.smoke ? 1 : 12);
  if (burstImage === undefined) {
    throw new Error('The burst and the cost model use a 12-MP JPEG: include jpeg in --formats');
  }
  // Memory: every 24-MP source (each format), or the smoke tier.
  const memoryImages = options.smoke
    ? [closest(generated, 'jpeg', 1) as CorpusImage]
    : options.formats
        .map((format) => closest(generated, format, 24))
        .filter((image): image is CorpusImage => image !== undefined);

  // 2. Resize core, single thread: ours, the floor, Pillow. The burst image is measured here too.
  const pillow = findPillow();
  if (!pillow.available) {
    log(pillow.note);
    notes.push(pillow.note);
  }
  const coreImages = images.includes(burstImage) ? images : [...images, burstImage];
  const corpusNames = new Set(images.map((image) => image.name));
  const core = await compareCore(coreImages, corpusNames, BENCH_SIZES, options.repetitions, pillow, log);
  const burstCore = core.images.find((item) => item.image === burstImage.name);
  if (burstCore === undefined) throw new Error(`core figures missing for ${burstImage.name}`);
  const cpuSecondsPerImage = burstCore.ours.totalMs / 1000;

  // 3. Memory.
  const memory = [];
  for (const image of memoryImages) {
    const perSize = await measurePeakRss(image.file, BENCH_SIZES);
    memory.push({
      image: image.name,
      perSize,
      peakRssMb: Math.max(...perSize.map((item) => item.peakRssMb)),
    });
    log(`memory: ${image.name} done`);
  }
  const peakRssMb = Math.max(...memory.map((item) => item.peakRssMb));

  // 4. End to end on the local stack.
  let endToEnd: EndToEndResult | { skipped: string };
  if (options.skipEndToEnd) {
    endToEnd = { skipped: '--no-e2e' };
  } else {
    // Loaded only when needed: it pulls in the whole local stack (Functions host, Durable engine, the app).
    const { runBurst } = await import('./e2e/burst.js');
    endToEnd = await runBurst({
      uploads: options.uploads,
      image: { name: burstImage.name, data: await readFile(burstImage.file) },
      cpuSecondsPerImage,
      sizeLabels: BENCH_SIZES.map((size) => size.label),
      cores: machine.cores,
      timeoutMs: options.smoke
        ? 40_000
        : Math.max(120_000, (10_000 * options.uploads * cpuSecondsPerImage) / machine.cores),
      unloadedUploads: options.unloadedUploads,
      warmUpUploads: 1,
      log,
    });
  }
  const burst = 'skipped' in endToEnd ? undefined : endToEnd;

  // 5. Cost.
  if (burst === undefined) notes.push('No burst measured: the cost model assumes 100% of the core limit.');
  const costInputs = {
    cpuSecondsPerImage,
    utilization: burst?.throughputVsCoreLimit ?? 1,
    instanceMemoryMb: options.instanceMemoryMb,
    executionsPerImage: burst?.executionsPerImage.count ?? BENCH_SIZES.length + 4,
  };
  const appCpuPerImage =
    burst === undefined
      ? undefined
      : (burst.pipelineCpu.seconds - burst.pipelineCpu.azuriteSeconds) / Math.max(1, burst.completed);
  const cost = { ...projectCost(costInputs), scenarios: costScenarios(costInputs, appCpuPerImage) };

  // 6. Targets and output.
  // The 12-MP HEIC (the smoke corpus has only its 1-MP tier, which stands in for it there).
  const heicImage = closest(images, 'heic', 12);
  const heic12 = core.images.find((item) => item.inCorpus && item.image === heicImage?.name);
  const jpeg12 = core.images.find(
    (item) => item.inCorpus && item.image === heicImage?.name.replace(/\.heic$/, '.jpeg'),
  );
  const targets = evaluateTargets({
    totalVsPillow: core.aggregate.oursTotalVsPillow,
    criticalVsPillow: core.aggregate.oursCriticalVsPillow,
    criticalBoundVsPillow: core.aggregate.floorCriticalVsPillow,
    totalVsPillowByFormat: Object.fromEntries(
      Object.entries(core.byFormat).map(([format, aggregate]) => [format, aggregate.oursTotalVsPillow]),
    ),
    ...(heic12?.heicDecode === undefined
      ? {}
      : {
          heic: {
            image: heic12.image,
            totalMs: heic12.ours.totalMs,
            decodeMs: heic12.heicDecode.cpuMs,
            jpegPathMs: jpeg12?.ours.totalMs,
          },
        }),
    endToEndP50Ms: burst?.unloaded.latencyMs.p50,
    burstP50Ms: burst?.latencyMs.p50,
    criticalPathMs: burstCore.ours.criticalPathMs,
    throughputVsCoreLimit: burst?.throughputVsCoreLimit,
    peakRssMb,
    peakRssSource: memory.reduce((worst, item) => (item.peakRssMb > worst.peakRssMb ? item : worst)).image,
    lost: burst?.lost,
    duplicated: burst === undefined ? undefined : burst.duplicatedDocuments + burst.duplicatedInstances,
  });
  const result: BenchResult = {
    schema: 1,
    mode: options.smoke ? 'smoke' : 'full',
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    machine: {
      ...machine,
      pillow:
        'skipped' in core.pillow
          ? 'Pillow: not available'
          : `Pillow ${core.pillow.version} via ${core.pillow.python}`,
    },
    sizes: BENCH_SIZES.map((size) => ({ ...size })),
    corpus: {
      origin: options.imagesDir === undefined ? 'generated' : 'user',
      description:
        options.imagesDir === undefined
          ? `deterministic photo-like images (gradients, tiles, diagonal edges, seeded noise) cached in ${path.relative(process.cwd(), options.corpusDir) || options.corpusDir}: ${corpusDescription}`
          : `real photos from ${options.imagesDir}: ${corpusDescription}`,
      images: coreImages,
    },
    core,
    memory,
    renditions,
    endToEnd,
    cost,
    targets,
    notes,
  };
  await mkdir(options.resultsDir, { recursive: true });
  await writeFile(path.join(options.resultsDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(path.join(options.resultsDir, 'latest.svg'), renderSvg(result));
  console.log(renderReport(result));
  console.log(`\nWrote ${path.join(options.resultsDir, 'latest.json')} and latest.svg`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
