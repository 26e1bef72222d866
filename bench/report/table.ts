import type { UnloadedResult } from '../e2e/unloaded';
import { renderRenditions } from '../renditions/report';
import type { BenchResult } from '../result';

/** Plain-text tables: columns padded to their widest cell, numbers right-aligned (text columns: `leftAligned`). */
export function formatTable(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  leftAligned: readonly number[] = [0],
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return leftAligned.includes(column) ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ');
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

const ms = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(0);
const ratio = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(2)}x`;
const usd = (value: number): string => `$${value < 10 ? value.toFixed(4) : value.toFixed(2)}`;

/** The one-at-a-time section: latency, then where the time of one upload goes. */
function renderUnloaded(unloaded: UnloadedResult): string[] {
  const { stages } = unloaded;
  const lines = [
    `\nUnloaded: ${unloaded.uploads} uploads ONE AT A TIME (each after the previous document was visible and its orchestration finished; ${unloaded.warmUpUploads} warm-up upload(s) first, not counted: ${unloaded.warmUpLatencyMs.map((value) => `${ms(value)} ms`).join(', ') || '-'}). Latency = upload completed -> first read that sees the completed document (point read every ${unloaded.visibilityPollMs} ms)`,
    formatTable(
      ['unloaded p50 ms', 'p95 ms', 'max ms', 'min ms', 'p50 to updatedAt ms', 'completed', 'lost'],
      [
        [
          ms(unloaded.latencyMs.p50),
          ms(unloaded.latencyMs.p95),
          ms(unloaded.latencyMs.max),
          ms(unloaded.latencyMs.min),
          ms(unloaded.toUpdatedAtMs.p50),
          String(unloaded.completed),
          String(unloaded.lostBlobNames.length),
        ],
      ],
    ),
    `\nWhere the time of one unloaded upload goes (median over ${unloaded.completed} uploads; Durable history times: ${stages.historyTimes})`,
    formatTable(
      ['stage', 'median ms', 'p95 ms', 'what happens'],
      stages.stages.map((stage) => [
        `${stage.from} -> ${stage.to}`,
        ms(stage.medianMs),
        ms(stage.p95Ms),
        stage.contents,
      ]),
      [0, 3],
    ),
    `sum of stage medians ${ms(stages.stages.reduce((total, stage) => total + stage.medianMs, 0))} ms; median upload -> visible ${ms(stages.totalMedianMs)} ms; the last orchestrator episode (writer completed -> ExecutionCompleted, off the document's path) ${ms(stages.finalEpisodeMedianMs)} ms`,
    formatTable(
      ['size', 'scheduled -> rendered ms', 'rendered -> completed ms', 'critical (finished last)'],
      stages.perSize.map((size) => [
        size.label,
        ms(size.toRenderedMedianMs),
        ms(size.toCompletedMedianMs),
        `${stages.criticalSizes[size.label] ?? 0} of ${unloaded.completed}`,
      ]),
    ),
    ...Object.entries(stages.boundaries).map(([name, source]) => `  ${name}: ${source}`),
  ];
  return lines;
}

export function renderReport(result: BenchResult): string {
  const sections: string[] = [];
  const { machine, core } = result;
  sections.push(
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryGb} GB, ${machine.platform}; node ${machine.node}, sharp ${machine.sharp} / libvips ${machine.libvips}, ${machine.pillow}; load average at start ${machine.loadAverageAtStart}`,
    `Corpus (${result.corpus.origin}): ${result.corpus.description}`,
  );
  const labels = result.sizes.map((size) => size.label);
  sections.push(
    `\nResize core: CPU ms per image, single thread (sharp.concurrency(1)), median of ${core.repetitions}`,
    formatTable(
      [
        'image',
        ...labels.map((label) => `ours ${label}`),
        'ours total',
        'ours crit',
        'floor',
        'pillow',
        'pil@our-enc',
        'ours/pil',
        'ours/pil@enc',
        'crit/pil',
        'ours/floor',
        'crit/floor',
      ],
      core.images.map((item) => [
        item.inCorpus ? item.image : `${item.image} (burst input only)`,
        ...labels.map((label) => ms(item.ours.perSizeMs[label])),
        ms(item.ours.totalMs),
        ms(item.ours.criticalPathMs),
        ms(item.floor.totalMs),
        ms(item.pillow?.totalMs),
        ms(item.pillowMatched?.totalMs),
        ratio(item.ratios.oursTotalVsPillow),
        ratio(item.ratios.oursTotalVsPillowMatched),
        ratio(item.ratios.oursCriticalVsPillow),
        ratio(item.ratios.oursTotalVsFloor),
        ratio(item.ratios.oursCriticalVsFloor),
      ]),
    ),
    `corpus-wide: ours total ${ms(core.aggregate.oursTotalMs)} ms, critical paths ${ms(core.aggregate.oursCriticalMs)} ms, floor ${ms(core.aggregate.floorTotalMs)} ms, Pillow ${ms(core.aggregate.pillowTotalMs)} ms -> ours/Pillow ${ratio(core.aggregate.oursTotalVsPillow)} (${ratio(core.aggregate.oursTotalVsPillowMatched)} against Pillow with our encoder settings), critical/Pillow ${ratio(core.aggregate.oursCriticalVsPillow)}, ours/floor ${ratio(core.aggregate.oursTotalVsFloor)}, critical/floor ${ratio(core.aggregate.oursCriticalVsFloor)}; the floor's own decode + slowest size/Pillow ${ratio(core.aggregate.floorCriticalVsPillow)} (no decode-once fan-out's critical path is below it)`,
  );
  for (const [format, aggregate] of Object.entries(core.byFormat)) {
    sections.push(
      `${format} sources only: ours/Pillow ${ratio(aggregate.oursTotalVsPillow)} (${ratio(aggregate.oursTotalVsPillowMatched)} with our encoder settings), critical/Pillow ${ratio(aggregate.oursCriticalVsPillow)}, ours/floor ${ratio(aggregate.oursTotalVsFloor)}, critical/floor ${ratio(aggregate.oursCriticalVsFloor)}, floor decode + slowest size/Pillow ${ratio(aggregate.floorCriticalVsPillow)}`,
    );
  }
  if ('skipped' in core.pillow) sections.push(`NOTE: ${core.pillow.skipped}`);
  sections.push(
    `\nPer-size detail (CPU ms, medians): "decode" is the one decode of the floor and Pillow, and of ours where the app decodes once (prepareSource: every format but JPEG); a HEIC's decode alone (libheif) is listed as "heic decode"`,
    formatTable(
      ['image', 'approach', 'decode', ...labels],
      core.images.flatMap((item) => [
        [
          item.image,
          'ours',
          item.ours.sharedMs > 0 ? ms(item.ours.sharedMs) : '-',
          ...labels.map((label) => ms(item.ours.perSizeMs[label])),
        ],
        ...(item.heicDecode === undefined
          ? []
          : [
              [
                item.image,
                'heic decode',
                `${ms(item.heicDecode.cpuMs)} (heap ${ms(item.heicDecode.heapMb)} MB)`,
                ...labels.map(() => ''),
              ],
            ]),
        [
          item.image,
          'floor',
          ms(item.floor.sharedMs),
          ...labels.map((label) => ms(item.floor.perSizeMs[label])),
        ],
        ...(item.pillow
          ? [
              [
                item.image,
                'pillow',
                ms(item.pillow.sharedMs),
                ...labels.map((label) => ms(item.pillow?.perSizeMs[label])),
              ],
            ]
          : []),
      ]),
    ),
  );
  sections.push(
    '\nMemory: peak RSS of one worker process per size (activity path, fresh process each; VmHWM on Linux)',
    formatTable(
      ['source', 'size', 'output', 'baseline MB', 'peak RSS MB'],
      result.memory.flatMap((source) =>
        source.perSize.map((item) => [
          source.image,
          item.label,
          `${item.width}x${item.height}`,
          item.baselineRssMb.toFixed(0),
          item.peakRssMb.toFixed(0),
        ]),
      ),
    ),
  );
  const e2e = result.endToEnd;
  if ('skipped' in e2e) {
    sections.push(`\nEnd to end: skipped (${e2e.skipped})`);
  } else {
    sections.push(
      `\nEnd to end on the local stack: ${e2e.image} (${(e2e.imageBytes / 1e6).toFixed(1)} MB); stack start ${ms(e2e.stackStartMs)} ms; Event Grid: the storage proxy publishes on each write (no poll)`,
      ...renderUnloaded(e2e.unloaded),
      `\nBurst: ${e2e.uploads} concurrent uploads on the same stack, upload phase ${ms(e2e.uploadPhaseMs)} ms. Latency here is mostly queueing: ${result.machine.cores} cores work through ${e2e.uploads} images in FIFO order, so p50 is close to the makespan; it is not the per-image latency (that is the unloaded figure above)`,
      formatTable(
        [
          'burst p50 ms',
          'p95 ms',
          'max ms',
          'images/s',
          'core limit/s',
          '% of limit',
          'completed',
          'lost (both phases)',
          'dup docs',
          'dup instances',
          'executions/image',
        ],
        [
          [
            ms(e2e.latencyMs.p50),
            ms(e2e.latencyMs.p95),
            ms(e2e.latencyMs.max),
            e2e.throughputImagesPerSecond.toFixed(2),
            e2e.coreLimitImagesPerSecond.toFixed(2),
            `${(e2e.throughputVsCoreLimit * 100).toFixed(0)}%`,
            String(e2e.completed),
            `${e2e.lost} (${e2e.lostByPhase.unloaded} + ${e2e.lostByPhase.burst})`,
            String(e2e.duplicatedDocuments),
            String(e2e.duplicatedInstances),
            e2e.executionsPerImage.count.toFixed(1),
          ],
        ],
      ),
      `duplicate check: ${e2e.instanceCheck}; executions: ${e2e.executionsPerImage.method}`,
      `pipeline CPU during the burst: ${e2e.pipelineCpu.seconds.toFixed(1)} s (${e2e.pipelineCpu.perImageSeconds.toFixed(3)} s per image, of which Azurite ${e2e.pipelineCpu.azuriteSeconds.toFixed(1)} s total) = ${(e2e.pipelineCpu.shareOfCores * 100).toFixed(0)}% of ${result.machine.cores} cores over the burst; the whole pipeline's own ceiling is ${e2e.pipelineCpu.limitImagesPerSecond.toFixed(2)} images/s, so the burst ran at ${((e2e.throughputImagesPerSecond / e2e.pipelineCpu.limitImagesPerSecond) * 100).toFixed(0)}% of it`,
    );
  }
  const cost = result.cost;
  sections.push(
    `\nCost projection (Flex Consumption on demand, ${cost.instanceMemoryMb} MB instance = ${cost.vcpusPerInstance} vCPU)`,
    formatTable(
      [
        'billed s/image',
        'GB-s/image',
        'executions/image',
        'compute $/M images',
        'executions $/M',
        'total $/M images',
        'D8_v5 $/month',
        'break-even images/month',
        'D8_v5 capacity/month',
      ],
      [
        [
          cost.billedInstanceSecondsPerImage.toFixed(3),
          cost.gbSecondsPerImage.toFixed(3),
          cost.executionsPerImage.toFixed(1),
          usd(cost.costPerMillionImages.compute),
          usd(cost.costPerMillionImages.executions),
          usd(cost.costPerMillionImages.total),
          usd(cost.vm.monthlyCost),
          cost.vm.breakEvenImagesPerMonth.toExponential(2),
          cost.vm.imagesPerMonthCapacity.toExponential(2),
        ],
      ],
    ),
    `conversion: ${cost.conversion}`,
    formatTable(
      ['scenario', 'billed s/image', 'GB-s/image', '$/M images', 'D8_v5 break-even images/month'],
      cost.scenarios.map((scenario) => [
        scenario.name,
        scenario.billedInstanceSecondsPerImage.toFixed(3),
        scenario.gbSecondsPerImage.toFixed(3),
        usd(scenario.costPerMillionImages),
        scenario.breakEvenImagesPerMonth.toExponential(2),
      ]),
    ),
    ...Object.values(cost.prices).map(
      (price) => `price: ${price.value} ${price.unit} [${price.kind}] source: ${price.source}`,
    ),
    ...cost.notes.map((note) => `note: ${note}`),
  );
  sections.push(
    '\nTargets',
    formatTable(
      ['target', 'goal', 'actual', 'result', 'margin'],
      result.targets.map((target) => [
        target.name,
        target.target,
        target.actual,
        target.pass ? 'PASS' : 'MISS',
        target.margin,
      ]),
    ),
  );
  sections.push(renderRenditions(result.renditions));
  if (result.notes.length > 0) sections.push('\nNotes', ...result.notes.map((note) => `- ${note}`));
  sections.push(`\nFinished in ${result.durationSeconds.toFixed(0)} s.`);
  return sections.join('\n');
}
