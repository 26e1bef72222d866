/**
 * HEIC decode figures from one command: `node dist/bench/heicDecode.js <file.heic> [concurrent]` (after
 * `npm run build`). Decodes the file through `renderDerivative` (the app's HEIC path: container checks,
 * admission, libheif in a worker thread, sharp configured as the app configures it) into the 1280 box,
 * `concurrent` times at once (default 1), then once more alone at full size (no shrink), and prints one JSON
 * line: the CPU of the alone decode (the first ones include compiling the WebAssembly), the decode heap, and
 * this process's peak RSS (`VmHWM`) of each phase: `peakRssMb` of the renders (what the app's worker holds;
 * with `concurrent` > 1 it shows what the decode memory budget, `DECODE_MEMORY_BUDGET_MB`, holds), and
 * `alonePeakRssMb` of the full-size decode, which the app never makes when a plan lets it shrink. The peak is
 * reset between the phases through /proc/self/clear_refs (Linux); `rssBetweenMb` is the RSS when every render
 * has ended, before the alone decode.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpuUsage } from 'node:process';
import { loadSettings } from '../src/config/settings';
import { configureDecodeAdmission, MIB } from '../src/imaging/decodeAdmission';
import { readHeifContainer } from '../src/imaging/heif/container';
import { decodeHeic } from '../src/imaging/heif/decodeHeic';
import { describePrimaryImage } from '../src/imaging/heif/primaryImage';
import { configureSharp, renderDerivative } from '../src/imaging';
import { findAppRoot, readDurableHostConfig } from '../src/config/hostConfig';

function peakRssMb(): number | undefined {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match?.[1] === undefined ? undefined : Math.round(Number(match[1]) / 1024);
}

/** Resets `VmHWM` to the current RSS (Linux `clear_refs` value 5); false where that is not possible. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const [file, concurrentText = '1'] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: heicDecode.js <file.heic> [concurrent]');
  const concurrent = Number(concurrentText);
  const env = { ...process.env };
  const maxSourcePixels = Number(env.MAX_SOURCE_PIXELS ?? 50_000_000);
  const budgetMb = Number(env.DECODE_MEMORY_BUDGET_MB ?? 0) || undefined;
  // The activity's settings rule, without the storage settings a bench does not need.
  const { decodeMemoryBudgetMb } = loadSettings({
    IMAGES_STORAGE: 'UseDevelopmentStorage=true',
    COSMOS__accountEndpoint: 'http://127.0.0.1:8081',
    COSMOS__key: 'bench',
    MAX_SOURCE_PIXELS: String(maxSourcePixels),
    ...(budgetMb === undefined ? {} : { DECODE_MEMORY_BUDGET_MB: String(budgetMb) }),
  });
  configureDecodeAdmission({ memoryBudgetBytes: decodeMemoryBudgetMb * MIB });
  configureSharp({
    activityConcurrency: readDurableHostConfig(findAppRoot(__dirname)).maxConcurrentActivityFunctions,
  });
  const source = await readFile(file);
  const limits = { maxSourceBytes: source.length, maxSourcePixels };
  const box = { width: 1280, height: 1280 };
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: concurrent }, () => renderDerivative(source, box, limits)),
  );
  const concurrentMs = Date.now() - started;
  const rendersPeak = peakRssMb();
  const rssBetweenMb = Math.round(process.memoryUsage.rss() / MIB);
  const reset = resetPeakRss();
  const primary = describePrimaryImage(readHeifContainer(source));
  const before = cpuUsage();
  const alone = await decodeHeic(source, primary, { maxPixels: maxSourcePixels });
  const cpu = cpuUsage(before);
  console.log(
    JSON.stringify({
      file,
      storedPixels: primary.storedWidth * primary.storedHeight,
      concurrent,
      decodeMemoryBudgetMb,
      outcomes: results.map((result) => (result.ok ? 'ok' : result.error.code)),
      concurrentWallMs: concurrentMs,
      decodeCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      decodeHeapMb: alone.ok ? Math.round(alone.decoded.heapBytes / MIB) : undefined,
      peakRssMb: rendersPeak,
      rssBetweenMb,
      alonePeakRssMb: reset ? peakRssMb() : undefined,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
