import type { BackfillBenchResult } from './backfillBench';

const fixed = (value: number, digits: number) => value.toFixed(digits);

/** The backfill benchmark as a few plain lines (the JSON keeps every figure). */
export function renderBackfillReport(result: BackfillBenchResult): string {
  const requests = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([kind, perImage]) => `${kind} ${perImage}`)
      .join(', ') || 'none';
  return [
    `Backfill of ${result.newSize.label} over ${result.images} images (${result.imageDescription})`,
    `  BACKFILL_MAX_IN_FLIGHT ${result.maxInFlight}, page ${result.pageSize}, poll ${result.pollSeconds} s`,
    `  ${fixed(result.imagesPerSecond, 2)} images/s (${fixed(result.wallSeconds, 1)} s)`,
    `  CPU ${fixed(result.cpuSecondsPerImage * 1000, 1)} ms per image (whole local stack; ${fixed(result.cpuSecondsTotal, 1)} s in all)`,
    `  lost ${result.lost} / duplicated ${result.duplicated}; output ${JSON.stringify(result.output)}`,
    `  backfill history at most ${result.peakHistoryEvents} events (${result.peakHistoryBytes} bytes of status answer), state at most ${result.peakStateBytes} characters; peak RSS ${fixed(result.peakRssMb, 0)} MB`,
    `  per image: blob requests ${requests(result.blobRequestsPerImage)}`,
    `  per image: Cosmos requests ${requests(result.cosmosRequestsPerImage)}`,
    `  activities per run: ${result.activitiesPerRun}`,
    `  the same backfill again: ${fixed(result.rerun.imagesPerSecond, 1)} images/s decided (${fixed(result.rerun.wallSeconds, 1)} s); output ${JSON.stringify(result.rerun.output)}`,
  ].join('\n');
}
