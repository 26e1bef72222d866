import path from 'node:path';
import { parseArgs } from 'node:util';
import { CORPUS_FORMATS, type CorpusFormat } from './corpus';

export interface BenchOptions {
  /** Quick mode: a small corpus, one repetition, a handful of uploads (keeps the script from rotting). */
  smoke: boolean;
  /** A folder of real photos to use instead of the generated corpus. */
  imagesDir: string | undefined;
  /** Concurrent uploads in the end-to-end burst. */
  uploads: number;
  /** Uploads sent one at a time before the burst (the unloaded latency the p50 target is judged on). */
  unloadedUploads: number;
  /** Repetitions per image in the single-thread core comparison (medians are reported). */
  repetitions: number;
  /** Flex Consumption instance memory the cost model bills (MB). */
  instanceMemoryMb: number;
  /** Only the renditions section (formats x sizes: CPU, bytes, SSIM); writes renditions.json. */
  renditionsOnly: boolean;
  /** Skip the end-to-end burst (e.g. when only the core comparison is wanted). */
  skipEndToEnd: boolean;
  /** Where latest.json and latest.svg go. */
  resultsDir: string;
  /** Where the generated corpus is cached. */
  corpusDir: string;
  /** `--formats jpeg,png`: only these formats of the generated corpus (core and memory); all by default. */
  formats: readonly CorpusFormat[];
  /** `--backfill`: run only the backfill benchmark (bench/backfill/). */
  backfill: boolean;
  /** Images the backfill benchmark stores and backfills. */
  backfillImages: number;
  /** BACKFILL_MAX_IN_FLIGHT for the backfill benchmark. */
  backfillInFlight: number;
}

const USAGE = `Usage: npm run bench -- [--smoke] [--images <dir>] [--uploads N] [--unloaded M] [--reps N] [--instance-memory-mb 2048|4096] [--renditions-only] [--no-e2e] [--formats jpeg,png,webp,heic] [--out <dir>] [--backfill [--backfill-images 1000] [--backfill-in-flight 32]]`;

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(
      `Expected a positive integer for --${name} but received ${JSON.stringify(raw)}\n${USAGE}`,
    );
  }
  return value;
}

function corpusFormats(raw: string | undefined): readonly CorpusFormat[] {
  if (raw === undefined) return CORPUS_FORMATS;
  const wanted = raw.split(',').map((format) => format.trim().toLowerCase());
  const unknown = wanted.filter((format) => !(CORPUS_FORMATS as readonly string[]).includes(format));
  if (wanted.length === 0 || unknown.length > 0) {
    throw new Error(
      `Expected --formats to list some of ${CORPUS_FORMATS.join(', ')} but received ${JSON.stringify(raw)}\n${USAGE}`,
    );
  }
  return CORPUS_FORMATS.filter((format) => wanted.includes(format));
}

/** `bench/` lives next to `dist/bench/` after the build; results and corpus always go to the source tree. */
export function benchSourceDir(): string {
  const here = __dirname;
  return path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '..', '..', 'bench') : here;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean', default: false },
      images: { type: 'string' },
      uploads: { type: 'string' },
      unloaded: { type: 'string' },
      reps: { type: 'string' },
      'instance-memory-mb': { type: 'string' },
      'renditions-only': { type: 'boolean', default: false },
      'no-e2e': { type: 'boolean', default: false },
      formats: { type: 'string' },
      backfill: { type: 'boolean', default: false },
      'backfill-images': { type: 'string' },
      'backfill-in-flight': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const smoke = values.smoke ?? false;
  const bench = benchSourceDir();
  return {
    smoke,
    imagesDir: values.images === undefined ? undefined : path.resolve(values.images),
    uploads: positiveInteger('uploads', values.uploads, smoke ? 4 : 50),
    unloadedUploads: positiveInteger('unloaded', values.unloaded, smoke ? 3 : 10),
    repetitions: positiveInteger('reps', values.reps, smoke ? 1 : 5),
    instanceMemoryMb: positiveInteger('instance-memory-mb', values['instance-memory-mb'], 2048),
    renditionsOnly: values['renditions-only'] ?? false,
    skipEndToEnd: values['no-e2e'] ?? false,
    resultsDir: values.out === undefined ? path.join(bench, 'results') : path.resolve(values.out),
    corpusDir: path.join(bench, '.corpus'),
    formats: corpusFormats(values.formats),
    backfill: values.backfill ?? false,
    backfillImages: positiveInteger('backfill-images', values['backfill-images'], smoke ? 50 : 1000),
    backfillInFlight: positiveInteger('backfill-in-flight', values['backfill-in-flight'], 32),
  };
}
