import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heifEncAvailable } from '../../bench/corpus';
import type { BenchResult } from '../../bench/result';

const root = path.resolve(__dirname, '..', '..');
const runScript = path.join(root, 'dist', 'bench', 'run.js');

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function expectPositiveFinite(value: unknown, where: string): void {
  expect(typeof value, where).toBe('number');
  expect(Number.isFinite(value) && (value as number) > 0, `${where} = ${String(value)}`).toBe(true);
}

describe('npm run bench -- --smoke', () => {
  let outDir: string;
  let result: BenchResult;
  let stdout: string;

  beforeAll(async () => {
    // `npm test` builds first; a bare `vitest run` on a fresh clone builds here.
    if (!existsSync(runScript))
      await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
    outDir = await mkdtemp(path.join(os.tmpdir(), 'bench-smoke-'));
    const exit = await run(process.execPath, [runScript, '--smoke', '--out', outDir]);
    expect(exit.code, exit.stderr).toBe(0);
    stdout = exit.stdout;
    result = JSON.parse(await readFile(path.join(outDir, 'latest.json'), 'utf8')) as BenchResult;
  }, 180_000);

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('describes the machine and the corpus it used', () => {
    expect(result.mode).toBe('smoke');
    expectPositiveFinite(result.machine.cores, 'machine.cores');
    expect(result.machine.libvips).toMatch(/^\d+\.\d+/);
    expect(result.machine.node).toBe(process.version);
    // HEIC is in the corpus where heif-enc (Debian libheif-examples) is installed; the bench never installs it.
    const formats = heifEncAvailable() ? ['heic', 'jpeg', 'png', 'webp'] : ['jpeg', 'png', 'webp'];
    expect(result.corpus.images.map((image) => image.format).sort()).toEqual(formats);
    for (const image of result.corpus.images) {
      expectPositiveFinite(image.width, `${image.name}.width`);
      expectPositiveFinite(image.bytes, `${image.name}.bytes`);
    }
  });

  it('measures ours, the floor and Pillow per size with finite ratios', () => {
    const labels = result.sizes.map((size) => size.label);
    expect(labels).toEqual(['thumb', 'medium', 'large']);
    expect(result.core.images).toHaveLength(result.corpus.images.length);
    for (const item of result.core.images) {
      for (const label of labels) {
        expectPositiveFinite(item.ours.perSizeMs[label], `${item.image} ours ${label}`);
        expectPositiveFinite(item.floor.perSizeMs[label], `${item.image} floor ${label}`);
      }
      // The critical path is one of the sizes; the total is all of them.
      expect(item.ours.criticalPathMs).toBeLessThanOrEqual(item.ours.totalMs);
      expectPositiveFinite(item.floor.sharedMs, `${item.image} floor decode`);
      expectPositiveFinite(item.ratios.oursTotalVsFloor, `${item.image} ours/floor`);
      if ('skipped' in result.core.pillow || item.format === 'heic') {
        // Pillow cannot read HEIC without a plugin Debian does not package.
        expect(item.pillow).toBeUndefined();
      } else {
        expectPositiveFinite(item.pillow?.totalMs, `${item.image} pillow total`);
        expectPositiveFinite(item.ratios.oursTotalVsPillow, `${item.image} ours/pillow`);
      }
    }
    if ('skipped' in result.core.pillow) expect(result.core.pillow.skipped).toMatch(/python3-pil/);
    else expect(result.core.pillow.version).toMatch(/^\d+\.\d+/);
  });

  it('measures every format of the app at every size: CPU, bytes and SSIM, and what AVIF costs', () => {
    const { renditions } = result;
    expect(renditions.app.map((entry) => `${entry.size}.${entry.format}`).sort()).toEqual(
      ['thumb', 'medium', 'large']
        .flatMap((size) => ['avif', 'jpeg', 'webp'].map((format) => `${size}.${format}`))
        .sort(),
    );
    for (const entry of renditions.app) {
      expectPositiveFinite(entry.cpuMs, `${entry.size} ${entry.format} CPU`);
      expectPositiveFinite(entry.bytes, `${entry.size} ${entry.format} bytes`);
      // A derivative of the same picture (the 2-MP smoke thumb's WebP scores ~0.90); unrelated pixels score far lower.
      expect(entry.ssim).toBeGreaterThan(0.8);
      expect(entry.ssim).toBeLessThanOrEqual(1);
    }
    expect(renditions.avifCost.totalMs).toBeCloseTo(
      Object.values(renditions.avifCost.perSizeMs).reduce((total, value) => total + value, 0),
      6,
    );
    expect(stdout).toContain('AVIF cost per image');
  });

  it('measures peak RSS per size in a separate worker', () => {
    for (const source of result.memory) {
      expect(source.perSize.map((item) => item.label)).toEqual(result.sizes.map((size) => size.label));
      for (const item of source.perSize) {
        expectPositiveFinite(item.peakRssMb, `${source.image} ${item.label} peak`);
        expect(item.peakRssMb).toBeGreaterThanOrEqual(item.baselineRssMb);
        const box = result.sizes.find((size) => size.label === item.label);
        expect(item.width).toBeLessThanOrEqual(box?.width ?? 0);
        expect(item.height).toBeLessThanOrEqual(box?.height ?? 0);
      }
    }
  });

  it('measures unloaded latency one upload at a time, with a per-stage breakdown', () => {
    const e2e = result.endToEnd;
    if ('skipped' in e2e) throw new Error(`end to end skipped: ${e2e.skipped}`);
    const unloaded = e2e.unloaded;
    expect(unloaded.uploads).toBe(3);
    expect(unloaded.completed).toBe(unloaded.uploads);
    expect(unloaded.lostBlobNames).toEqual([]);
    expect(unloaded.latencyMs.samples).toHaveLength(unloaded.uploads);
    for (const key of ['p50', 'p95', 'max', 'min'] as const)
      expectPositiveFinite(unloaded.latencyMs[key], `unloaded latency ${key}`);
    expectPositiveFinite(unloaded.toUpdatedAtMs.p50, 'unloaded p50 to updatedAt');
    expect(unloaded.warmUpLatencyMs).toHaveLength(unloaded.warmUpUploads);

    // The local engine's history carries milliseconds, so every boundary is present: 9 moments, 8 stages.
    const { stages } = unloaded;
    expect(stages.historyTimes).toBe('milliseconds');
    expect(stages.stages.map((stage) => `${stage.from}>${stage.to}`)).toEqual([
      'uploaded>orchestrationStarted',
      'orchestrationStarted>resizesScheduled',
      'resizesScheduled>criticalRendered',
      'criticalRendered>criticalResized',
      'criticalResized>writerScheduled',
      'writerScheduled>documentBuilt',
      'documentBuilt>writerCompleted',
      'writerCompleted>visible',
    ]);
    for (const stage of stages.stages) {
      expect(stage.samples).toBe(unloaded.completed);
      expect(stage.contents.length).toBeGreaterThan(0);
      // The reader may see the document before the writer's invocation returns: that stage can be <= 0.
      if (stage.to === 'visible') expect(Number.isFinite(stage.medianMs)).toBe(true);
      else expectPositiveFinite(stage.medianMs, `${stage.from} -> ${stage.to}`);
    }
    expectPositiveFinite(stages.totalMedianMs, 'median upload -> visible');
    expectPositiveFinite(stages.finalEpisodeMedianMs, 'final episode');
    expect(stages.perSize.map((size) => size.label)).toEqual(result.sizes.map((size) => size.label));
    for (const size of stages.perSize) {
      expectPositiveFinite(size.toRenderedMedianMs, `${size.label} scheduled -> rendered`);
      expectPositiveFinite(size.toCompletedMedianMs, `${size.label} rendered -> completed`);
    }
    const criticalCount = Object.values(stages.criticalSizes).reduce((total, count) => total + count, 0);
    expect(criticalCount).toBe(unloaded.completed);
    expect(stdout).toContain('Unloaded:');
    expect(stdout).toContain('Where the time of one unloaded upload goes');
  });

  it('runs the burst on the local stack with nothing lost or duplicated in either phase', () => {
    const e2e = result.endToEnd;
    if ('skipped' in e2e) throw new Error(`end to end skipped: ${e2e.skipped}`);
    expect(e2e.completed).toBe(e2e.uploads);
    expect(e2e.lost).toBe(0);
    expect(e2e.lostByPhase).toEqual({ unloaded: 0, burst: 0 });
    expect(e2e.duplicatedDocuments).toBe(0);
    expect(e2e.duplicatedInstances).toBe(0);
    // The duplicate check saw the instances of both phases (warm-up + unloaded + burst source versions).
    expect(e2e.instanceCheck).toContain(
      `${e2e.uploads + e2e.unloaded.uploads + e2e.unloaded.warmUpUploads} source versions from this run`,
    );
    expect(e2e.latencyMs.samples).toHaveLength(e2e.uploads);
    for (const key of ['p50', 'p95', 'max'] as const)
      expectPositiveFinite(e2e.latencyMs[key], `latency ${key}`);
    expectPositiveFinite(e2e.throughputImagesPerSecond, 'throughput');
    expectPositiveFinite(e2e.coreLimitImagesPerSecond, 'core limit');
    expectPositiveFinite(e2e.pipelineCpu.perImageSeconds, 'pipeline CPU per image');
    // Trigger + at least two orchestrator episodes + one activity per size + the writer.
    expect(e2e.executionsPerImage.count).toBeGreaterThanOrEqual(1 + 2 + result.sizes.length + 1);
  });

  it('projects cost and evaluates every target', () => {
    expectPositiveFinite(result.cost.gbSecondsPerImage, 'GB-s per image');
    expectPositiveFinite(result.cost.costPerMillionImages.total, 'cost per million');
    expectPositiveFinite(result.cost.vm.breakEvenImagesPerMonth, 'break-even');
    expect(result.cost.scenarios.length).toBeGreaterThanOrEqual(2);
    for (const scenario of result.cost.scenarios) {
      expectPositiveFinite(scenario.gbSecondsPerImage, `${scenario.name} GB-s`);
      expectPositiveFinite(scenario.costPerMillionImages, `${scenario.name} cost`);
    }
    expect(result.targets.map((target) => target.name)).toHaveLength(8);
    for (const target of result.targets) expect(target.actual).not.toBe('not measured');
    const latencyTarget = result.targets.find((target) => target.name === 'end-to-end p50 (unloaded)');
    const e2e = result.endToEnd;
    if ('skipped' in e2e) throw new Error(`end to end skipped: ${e2e.skipped}`);
    expect(latencyTarget?.actual).toContain(`${e2e.unloaded.latencyMs.p50.toFixed(0)} ms`);
    expect(latencyTarget?.actual).toContain(`burst p50 ${e2e.latencyMs.p50.toFixed(0)} ms`);
    expect(stdout).toContain('Targets');
    expect(stdout).toMatch(/PASS|MISS/);
  });

  it('writes the SVG chart', async () => {
    const svg = await readFile(path.join(outDir, 'latest.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const item of result.core.images) expect(svg).toContain(item.image);
    expect(svg).toContain('p50');
    expect(svg).toContain('Unloaded: upload -&gt; document visible');
    expect(svg).toContain('Burst:');
  });
});
