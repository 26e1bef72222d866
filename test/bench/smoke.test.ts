import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    expect(result.corpus.images.map((image) => image.format).sort()).toEqual(['jpeg', 'png', 'webp']);
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
      if ('skipped' in result.core.pillow) {
        expect(item.pillow).toBeUndefined();
      } else {
        expectPositiveFinite(item.pillow?.totalMs, `${item.image} pillow total`);
        expectPositiveFinite(item.ratios.oursTotalVsPillow, `${item.image} ours/pillow`);
      }
    }
    if ('skipped' in result.core.pillow) expect(result.core.pillow.skipped).toMatch(/python3-pil/);
    else expect(result.core.pillow.version).toMatch(/^\d+\.\d+/);
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

  it('runs the burst on the local stack with nothing lost or duplicated', () => {
    const e2e = result.endToEnd;
    if ('skipped' in e2e) throw new Error(`end to end skipped: ${e2e.skipped}`);
    expect(e2e.completed).toBe(e2e.uploads);
    expect(e2e.lost).toBe(0);
    expect(e2e.duplicatedDocuments).toBe(0);
    expect(e2e.duplicatedInstances).toBe(0);
    expect(e2e.latencyMs.samples).toHaveLength(e2e.uploads);
    for (const key of ['p50', 'p95', 'max'] as const)
      expectPositiveFinite(e2e.latencyMs[key], `latency ${key}`);
    expectPositiveFinite(e2e.throughputImagesPerSecond, 'throughput');
    expectPositiveFinite(e2e.coreLimitImagesPerSecond, 'core limit');
    expectPositiveFinite(e2e.pipelineCpu.perImageSeconds, 'pipeline CPU per image');
    expect(e2e.soloLatencyMs.length).toBeGreaterThan(0);
    for (const latency of e2e.soloLatencyMs) expectPositiveFinite(latency, 'solo latency');
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
    expect(result.targets.map((target) => target.name)).toHaveLength(6);
    for (const target of result.targets) expect(target.actual).not.toBe('not measured');
    expect(stdout).toContain('Targets');
    expect(stdout).toMatch(/PASS|MISS/);
  });

  it('writes the SVG chart', async () => {
    const svg = await readFile(path.join(outDir, 'latest.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const item of result.core.images) expect(svg).toContain(item.image);
    expect(svg).toContain('p50');
  });
});
