/**
 * One worker process resizing one source to one size through the activity path, then reporting its peak
 * RSS. argv: <file> <label> <width> <height>
 *
 * Linux keeps `getrusage` maxRSS (what `process.resourceUsage().maxRSS` reads) across fork+exec: a child
 * reports at least its parent's RSS at spawn time, so a worker spawned by a busy benchmark process would
 * read the parent's size. `VmHWM` in /proc/self/status is the high-water mark of this process's own
 * address space, so it is the figure used where it exists; maxRSS is reported beside it.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { findAppRoot, readDurableHostConfig } from '../../src/config/hostConfig';
import { configureSharp } from '../../src/imaging';
import { renderOneSize } from '../core/activityPath';

/** VmHWM (KiB) on Linux; undefined elsewhere. */
function addressSpaceHighWaterKb(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const [file, label, width, height] = process.argv.slice(2);
  if (file === undefined || label === undefined || width === undefined || height === undefined) {
    throw new Error('usage: worker.js <file> <label> <width> <height>');
  }
  configureSharp({
    activityConcurrency: readDurableHostConfig(findAppRoot(__dirname)).maxConcurrentActivityFunctions,
  });
  const source = await readFile(file);
  const baselineRssKb = process.memoryUsage.rss() / 1024;
  const derivative = await renderOneSize(source, { label, width: Number(width), height: Number(height) });
  const report = {
    label,
    width: derivative.width,
    height: derivative.height,
    sourceBytes: source.length,
    baselineRssKb,
    maxRssKb: process.resourceUsage().maxRSS,
    highWaterKb: addressSpaceHighWaterKb(),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
