import { formatTable } from '../report/table';
import { MAX_ENCODE_CPU_MS, type Candidate, type CandidateFigures, type RenditionsResult } from './measure';

const setting = (candidate: Candidate): string =>
  candidate.effort === undefined ? `q${candidate.quality}` : `q${candidate.quality} e${candidate.effort}`;
const ms = (value: number): string => (value < 10 ? value.toFixed(1) : value.toFixed(0));
const kb = (bytes: number): string => (bytes / 1024).toFixed(1);
const score = (value: number): string => value.toFixed(4);

function rows(entries: readonly CandidateFigures[]): string[][] {
  return entries.map((entry) => [
    entry.size,
    `${entry.width}x${entry.height}`,
    entry.format,
    setting(entry),
    ms(entry.cpuMs),
    kb(entry.bytes),
    score(entry.ssim),
  ]);
}

const HEADERS = ['size', 'pixels', 'format', 'setting', 'CPU ms', 'KB', 'SSIM'];

/** The renditions section of the bench report: the app's settings, the choice, the grid, AVIF's cost. */
export function renderRenditions(result: RenditionsResult): string {
  const sizes = Object.keys(result.decodeResizeMs);
  const lines = [
    `\nRenditions (${result.image}): encode CPU ms (sharp.concurrency(1), median of ${result.repetitions}), bytes, SSIM vs the source resized losslessly to the same box`,
    `Decode + resize to raw once per label, shared by all its formats: ${sizes.map((size) => `${size} ${ms(result.decodeResizeMs[size] ?? 0)} ms`).join(', ')}`,
    formatTable(HEADERS, rows(result.app), [0, 1, 2, 3]),
    `\nChosen by measurement (within ${MAX_ENCODE_CPU_MS} ms of encode CPU and the JPEG's bytes for the three sizes: fewest bytes with SSIM >= the JPEG's at every size, else the closest SSIM; ties within 2 % go to less CPU):`,
    formatTable(
      ['format', 'setting', 'total KB (3 sizes)', 'total CPU ms', 'min SSIM - JPEG SSIM'],
      result.chosen.map((choice) => [
        choice.candidate.format,
        setting(choice.candidate),
        kb(choice.totalBytes),
        ms(choice.totalCpuMs),
        choice.minSsimMargin.toFixed(4),
      ]),
      [0, 1],
    ),
    `\nAVIF cost per image (app settings): ${sizes.map((size) => `${size} ${ms(result.avifCost.perSizeMs[size] ?? 0)} ms`).join(', ')}; ${ms(result.avifCost.totalMs)} ms CPU for the three sizes vs ${ms(result.avifCost.vsJpegTotalMs)} ms for their JPEGs`,
    `\nAll candidates:`,
    formatTable(HEADERS, rows(result.grid), [0, 1, 2, 3]),
  ];
  return lines.join('\n');
}
