/**
 * What a HEIC render holds after its decode, from one command: `node dist/bench/heicAfterDecode.js <file.heic>
 * <box>` (after `npm run build`). Opens the file for one `inside` rendition of `box` x `box` (`openSource`:
 * the decode in its thread, shrunk when the box allows), then resets this process's peak RSS (`VmHWM`, through
 * /proc/self/clear_refs, Linux) and renders the JPEG from the decoded pixels as the app does
 * (`renderRenditionFromIntermediate`). Prints one JSON line: the decoded copy's size and MB, the decode's
 * peak, the RSS once the thread has ended, and how far sharp's work rose above it (`sharpAboveMb`). The
 * admission's `HEIC_HELD_PER_DECODED_BYTE` comes from these figures.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { findAppRoot, readDurableHostConfig } from '../src/config/hostConfig';
import { configureSharp, renderRenditionFromIntermediate } from '../src/imaging';
import { MIB } from '../src/imaging/decodeAdmission';
import { openSource } from '../src/imaging/openSource';

function peakRssMb(): number {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Math.round(Number(match?.[1] ?? Number.NaN) / 1024);
}

async function main(): Promise<void> {
  const [file, boxText = '1280'] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: heicAfterDecode.js <file.heic> [box]');
  configureSharp({
    activityConcurrency: readDurableHostConfig(findAppRoot(__dirname)).maxConcurrentActivityFunctions,
  });
  const source = await readFile(file);
  const box = Number(boxText);
  const spec = { label: 'box', width: box, height: box, fit: 'inside' as const, formats: ['jpeg' as const] };
  const opened = await openSource(source, { maxSourceBytes: source.length, maxSourcePixels: 50_000_000 }, [
    spec,
  ]);
  if (!opened.ok) throw new Error(opened.error.message);
  const { header, pixels, decoded } = opened.opened;
  const decodePeakMb = peakRssMb();
  const rssAfterDecodeMb = Math.round(process.memoryUsage.rss() / MIB);
  writeFileSync('/proc/self/clear_refs', '5');
  const rendered = await renderRenditionFromIntermediate(
    pixels,
    { format: header.format, width: header.width, height: header.height, hasAlpha: header.hasAlpha },
    spec,
  );
  const renderPeakMb = peakRssMb();
  opened.opened.release();
  console.log(
    JSON.stringify({
      file,
      box,
      decoded,
      decodedMb: Math.round(pixels.length / MIB),
      decodePeakMb,
      rssAfterDecodeMb,
      renderPeakMb,
      sharpAboveMb: renderPeakMb - rssAfterDecodeMb,
      ok: rendered.ok && rendered.outputs.every((output) => output.ok),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
