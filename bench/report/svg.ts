import type { StageBreakdown } from '../e2e/stages';
import type { BenchResult } from '../result';

/** A small hand-written SVG: per-size CPU bars (ours / floor / Pillow) per image, and the latency CDF. */

const WIDTH = 960;
const LABEL_WIDTH = 150;
const BAR_AREA = 640;
const BAR_HEIGHT = 12;
const SIZE_COLOURS = ['#4e79a7', '#59a14f', '#f28e2b', '#b07aa1', '#76b7b2'];
const DECODE_COLOUR = '#9d9d9d';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function text(x: number, y: number, content: string, extra = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${escapeXml(content)}</text>`;
}

interface Segment {
  label: string;
  value: number;
  colour: string;
}

function stackedBar(
  x: number,
  y: number,
  scale: number,
  segments: readonly Segment[],
  caption: string,
): string {
  let offset = x;
  const parts = segments.map((segment) => {
    const width = Math.max(0, segment.value * scale);
    const rect = `<rect x="${offset.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${segment.colour}"><title>${escapeXml(`${segment.label}: ${segment.value.toFixed(0)} ms`)}</title></rect>`;
    offset += width;
    return rect;
  });
  return [...parts, text(offset + 4, y + BAR_HEIGHT - 2, caption, 'font-size="10"')].join('');
}

/** A step CDF of latency samples with dashed markers; returns the next free y. */
function latencyCdf(
  parts: string[],
  top: number,
  plot: { title: string; samples: readonly number[]; markers: Array<[string, number]>; colour: string },
): number {
  let y = top;
  parts.push(text(10, y, plot.title, 'font-size="14" font-weight="bold"'));
  y += 14;
  const plotX = 60;
  const plotWidth = WIDTH - 100;
  const plotHeight = 150;
  const samples = [...plot.samples].sort((a, b) => a - b);
  const maxLatency = Math.max(...samples, ...plot.markers.map(([, value]) => value), 1);
  const xOf = (latency: number): number => plotX + (latency / maxLatency) * plotWidth;
  const yOf = (fraction: number): number => y + plotHeight - fraction * plotHeight;
  const points = samples.flatMap((latency, index) => [
    `${xOf(latency).toFixed(1)},${yOf(index / samples.length).toFixed(1)}`,
    `${xOf(latency).toFixed(1)},${yOf((index + 1) / samples.length).toFixed(1)}`,
  ]);
  parts.push(
    `<rect x="${plotX}" y="${y}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#ccc"/>`,
    `<polyline points="${points.join(' ')}" fill="none" stroke="${plot.colour}" stroke-width="2"/>`,
  );
  plot.markers.forEach(([name, value], index) => {
    parts.push(
      `<line x1="${xOf(value).toFixed(1)}" y1="${y}" x2="${xOf(value).toFixed(1)}" y2="${y + plotHeight}" stroke="#e15759" stroke-dasharray="4 3"/>`,
      text(
        Math.min(xOf(value) + 3, WIDTH - 150),
        y + 12 + 14 * index,
        `${name} ${value.toFixed(0)} ms`,
        'font-size="10" fill="#e15759"',
      ),
    );
  });
  for (const fraction of [0, 0.5, 1])
    parts.push(text(10, yOf(fraction) + 4, `${fraction * 100}%`, 'font-size="10"'));
  for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      text(
        xOf(maxLatency * fraction) - 12,
        y + plotHeight + 14,
        `${(maxLatency * fraction).toFixed(0)} ms`,
        'font-size="10"',
      ),
    );
  }
  return y + plotHeight + 30;
}

const STAGE_COLOURS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
];

/** One stacked bar of the unloaded stage medians, labelled underneath; returns the next free y. */
function stageBar(parts: string[], top: number, stages: StageBreakdown): number {
  let y = top;
  parts.push(
    text(
      10,
      y,
      `Where one unloaded upload's time goes (median ms per stage, history times: ${stages.historyTimes})`,
      'font-size="13" font-weight="bold"',
    ),
  );
  y += 10;
  const positive = stages.stages.map((stage) => Math.max(0, stage.medianMs));
  const total = Math.max(
    positive.reduce((sum, value) => sum + value, 0),
    1,
  );
  const scale = (WIDTH - 80) / total;
  let x = 60;
  stages.stages.forEach((stage, index) => {
    const width = (positive[index] ?? 0) * scale;
    const colour = STAGE_COLOURS[index % STAGE_COLOURS.length] ?? '#333';
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="16" fill="${colour}"><title>${escapeXml(`${stage.from} -> ${stage.to}: ${stage.medianMs.toFixed(0)} ms (${stage.contents})`)}</title></rect>`,
      `<rect x="60" y="${y + 24 + 13 * index}" width="10" height="10" fill="${colour}"/>`,
      text(
        74,
        y + 33 + 13 * index,
        `${stage.from} -> ${stage.to}: ${stage.medianMs.toFixed(0)} ms — ${stage.contents}`,
        'font-size="10"',
      ),
    );
    x += width;
  });
  return y + 24 + 13 * stages.stages.length + 24;
}

export function renderSvg(result: BenchResult): string {
  const labels = result.sizes.map((size) => size.label);
  const colourOf = (label: string): string =>
    SIZE_COLOURS[labels.indexOf(label) % SIZE_COLOURS.length] ?? '#333';
  const parts: string[] = [];
  let y = 24;
  parts.push(
    text(
      10,
      y,
      `Resize CPU per image (ms, single thread, median of ${result.core.repetitions}); bars scaled per image`,
      'font-size="14" font-weight="bold"',
    ),
  );
  y += 16;
  const legend: Array<[string, string]> = [
    ...labels.map((label): [string, string] => [label, colourOf(label)]),
    ['one shared decode', DECODE_COLOUR],
  ];
  legend.forEach(([label, colour], index) => {
    const x = 10 + index * 140;
    parts.push(
      `<rect x="${x}" y="${y}" width="10" height="10" fill="${colour}"/>`,
      text(x + 14, y + 9, label, 'font-size="11"'),
    );
  });
  y += 22;
  for (const item of result.core.images) {
    const rows: Array<[string, Segment[], string]> = [
      [
        'ours',
        labels.map((label) => ({ label, value: item.ours.perSizeMs[label] ?? 0, colour: colourOf(label) })),
        `${item.ours.totalMs.toFixed(0)} ms total, ${item.ours.criticalPathMs.toFixed(0)} ms critical path`,
      ],
      [
        'floor',
        [
          { label: 'decode', value: item.floor.sharedMs, colour: DECODE_COLOUR },
          ...labels.map((label) => ({
            label,
            value: item.floor.perSizeMs[label] ?? 0,
            colour: colourOf(label),
          })),
        ],
        `${item.floor.totalMs.toFixed(0)} ms`,
      ],
    ];
    if (item.pillow !== undefined) {
      const pillow = item.pillow;
      rows.push([
        'Pillow',
        [
          { label: 'decode', value: pillow.sharedMs, colour: DECODE_COLOUR },
          ...labels.map((label) => ({ label, value: pillow.perSizeMs[label] ?? 0, colour: colourOf(label) })),
        ],
        `${pillow.totalMs.toFixed(0)} ms`,
      ]);
    }
    const largest = Math.max(
      ...rows.map(([, segments]) => segments.reduce((total, segment) => total + segment.value, 0)),
      1,
    );
    const scale = (BAR_AREA - 180) / largest;
    parts.push(text(10, y + 10, item.image, 'font-size="12" font-weight="bold"'));
    for (const [name, segments, caption] of rows) {
      parts.push(
        text(LABEL_WIDTH - 44, y + BAR_HEIGHT - 2, name, 'font-size="10"'),
        stackedBar(LABEL_WIDTH, y, scale, segments, caption),
      );
      y += BAR_HEIGHT + 3;
    }
    y += 10;
  }

  y += 14;
  const e2e = result.endToEnd;
  if ('skipped' in e2e) {
    parts.push(text(10, y, `End to end: skipped (${e2e.skipped})`, 'font-size="13"'));
    y += 20;
  } else {
    const unloaded = e2e.unloaded;
    // The issue's latency target for this image, so the chart shows how far the unloaded p50 is from it.
    const critical = result.core.images.find((item) => item.image === e2e.image)?.ours.criticalPathMs;
    const targetMarkers: Array<[string, number]> =
      critical === undefined ? [] : [['target (1.5 x critical + 100)', 1.5 * critical + 100]];
    y = latencyCdf(parts, y, {
      title: `Unloaded: upload -> document visible, ${unloaded.completed} of ${unloaded.uploads} uploads one at a time (CDF): p50 ${unloaded.latencyMs.p50.toFixed(0)} ms, p95 ${unloaded.latencyMs.p95.toFixed(0)} ms, max ${unloaded.latencyMs.max.toFixed(0)} ms`,
      samples: unloaded.latencyMs.samples,
      markers: [['p50', unloaded.latencyMs.p50], ['p95', unloaded.latencyMs.p95], ...targetMarkers],
      colour: '#59a14f',
    });
    y = stageBar(parts, y, unloaded.stages);
    y = latencyCdf(parts, y, {
      title: `Burst: ${e2e.completed} of ${e2e.uploads} at once (CDF, mostly queueing): p50 ${e2e.latencyMs.p50.toFixed(0)}, p95 ${e2e.latencyMs.p95.toFixed(0)}, max ${e2e.latencyMs.max.toFixed(0)} ms`,
      samples: e2e.latencyMs.samples,
      markers: [
        ['p50', e2e.latencyMs.p50],
        ['p95', e2e.latencyMs.p95],
        ['unloaded p50', unloaded.latencyMs.p50],
      ],
      colour: '#4e79a7',
    });
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
