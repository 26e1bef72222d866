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
    parts.push(
      text(
        10,
        y,
        `Upload -> document latency, ${e2e.completed} of ${e2e.uploads} images (CDF): p50 ${e2e.latencyMs.p50.toFixed(0)} ms, p95 ${e2e.latencyMs.p95.toFixed(0)} ms, max ${e2e.latencyMs.max.toFixed(0)} ms`,
        'font-size="14" font-weight="bold"',
      ),
    );
    y += 14;
    const plotX = 60;
    const plotWidth = WIDTH - 100;
    const plotHeight = 180;
    const samples = e2e.latencyMs.samples;
    const maxLatency = Math.max(...samples, 1);
    const xOf = (latency: number): number => plotX + (latency / maxLatency) * plotWidth;
    const yOf = (fraction: number): number => y + plotHeight - fraction * plotHeight;
    const points = samples.flatMap((latency, index) => [
      `${xOf(latency).toFixed(1)},${yOf(index / samples.length).toFixed(1)}`,
      `${xOf(latency).toFixed(1)},${yOf((index + 1) / samples.length).toFixed(1)}`,
    ]);
    parts.push(
      `<rect x="${plotX}" y="${y}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#ccc"/>`,
      `<polyline points="${points.join(' ')}" fill="none" stroke="#4e79a7" stroke-width="2"/>`,
    );
    const markers: Array<[string, number]> = [
      ['p50', e2e.latencyMs.p50],
      ['p95', e2e.latencyMs.p95],
    ];
    const soloMedian = [...e2e.soloLatencyMs].sort((a, b) => a - b)[Math.floor(e2e.soloLatencyMs.length / 2)];
    if (soloMedian !== undefined) markers.push(['solo (idle pipeline)', soloMedian]);
    markers.forEach(([name, value], index) => {
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
    y += plotHeight + 30;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
