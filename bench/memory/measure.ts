import { spawn } from 'node:child_process';
import path from 'node:path';
import type { BenchSize } from '../core/activityPath';

export interface MemoryMeasurement {
  label: string;
  width: number;
  height: number;
  /** Peak resident set of the whole worker process (Node, sharp, the source buffer, libvips). */
  peakRssMb: number;
  /** How the peak was read: `VmHWM` (Linux) or `maxRSS` (process.resourceUsage). */
  peakSource: 'VmHWM' | 'maxRSS';
  /** process.resourceUsage().maxRSS as reported (on Linux it includes the parent's RSS at spawn). */
  resourceUsageMaxRssMb: number;
  /** RSS after loading Node, sharp and the source, before the resize: what the resize itself adds is the gap. */
  baselineRssMb: number;
}

interface WorkerReport {
  label: string;
  width: number;
  height: number;
  baselineRssKb: number;
  maxRssKb: number;
  highWaterKb?: number;
}

/** Spawns a fresh worker per size so each peak belongs to one resize only (no heap left from another). */
export async function measurePeakRss(
  file: string,
  sizes: readonly BenchSize[],
): Promise<MemoryMeasurement[]> {
  const worker = path.join(__dirname, 'worker.js');
  const measurements: MemoryMeasurement[] = [];
  for (const size of sizes) {
    const child = spawn(
      process.execPath,
      [worker, file, size.label, String(size.width), String(size.height)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`memory worker for ${size.label} exited with ${code}: ${stderr.trim()}`);
    const report = JSON.parse(stdout.trim()) as WorkerReport;
    measurements.push({
      label: report.label,
      width: report.width,
      height: report.height,
      peakRssMb: (report.highWaterKb ?? report.maxRssKb) / 1024,
      peakSource: report.highWaterKb === undefined ? 'maxRSS' : 'VmHWM',
      resourceUsageMaxRssMb: report.maxRssKb / 1024,
      baselineRssMb: report.baselineRssKb / 1024,
    });
  }
  return measurements;
}
