import { describe, expect, it } from 'vitest';
import {
  historyHasSubSecondTimes,
  summarizeStages,
  uploadTimeline,
  type PublicHistoryEvent,
} from '../../bench/e2e/stages';

const T0 = Date.parse('2026-11-24T05:00:00.000Z');
const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();
/** The extension's whole-second form, as createdTime is written (`ToString("s")+"Z"`). */
const seconds = (offsetMs: number): string => `${new Date(T0 + offsetMs).toISOString().slice(0, 19)}Z`;

const RESIZES = { thumb: 'resize-thumb', medium: 'resize-medium', large: 'resize-large' };
const LABELS = Object.keys(RESIZES);

/** The public status API's history of one upload (ms offsets from the upload completing). */
function history(time: (offsetMs: number) => string, shift = 0): PublicHistoryEvent[] {
  const at = (offset: number): string => time(offset + shift);
  return [
    { EventType: 'ExecutionStarted', FunctionName: 'resizeImageOrchestrator', Timestamp: at(60) },
    { EventType: 'TaskCompleted', FunctionName: 'resize-thumb', ScheduledTime: at(65), Timestamp: at(95) },
    // A retried size: the failure is ignored, the final completion counts.
    { EventType: 'TaskFailed', FunctionName: 'resize-large', ScheduledTime: at(65), Timestamp: at(70) },
    { EventType: 'TaskCompleted', FunctionName: 'resize-medium', ScheduledTime: at(65), Timestamp: at(110) },
    { EventType: 'TaskCompleted', FunctionName: 'resize-large', ScheduledTime: at(65), Timestamp: at(140) },
    {
      EventType: 'TaskCompleted',
      FunctionName: 'writeImageDocument',
      ScheduledTime: at(150),
      Timestamp: at(170),
    },
    { EventType: 'ExecutionCompleted', Timestamp: at(175) },
  ];
}

function documentFor(shift = 0): {
  updatedAt: string;
  variants: Array<{ label: string; createdAt: string }>;
} {
  return {
    updatedAt: iso(162 + shift),
    variants: [
      { label: 'thumb', createdAt: iso(90 + shift) },
      { label: 'medium', createdAt: iso(100 + shift) },
      { label: 'large', createdAt: iso(125 + shift) },
    ],
  };
}

describe('unloaded stage breakdown', () => {
  it('splits one upload at every recorded moment when the history has milliseconds', () => {
    const timeline = uploadTimeline({
      blobName: 'a.jpg',
      uploadedAt: T0,
      visibleAt: T0 + 180,
      document: documentFor(),
      history: history(iso),
      resizeActivities: RESIZES,
      writerActivity: 'writeImageDocument',
    });
    expect(timeline.criticalSize).toBe('large');
    expect(timeline.perSize).toEqual({
      thumb: { toRenderedMs: 25, toCompletedMs: 5 },
      medium: { toRenderedMs: 35, toCompletedMs: 10 },
      large: { toRenderedMs: 60, toCompletedMs: 15 },
    });
    expect(timeline.finalEpisodeMs).toBe(5);

    const breakdown = summarizeStages([timeline], LABELS, 'milliseconds');
    expect(breakdown.stages.map((stage) => [stage.from, stage.to, stage.medianMs])).toEqual([
      ['uploaded', 'orchestrationStarted', 60],
      ['orchestrationStarted', 'resizesScheduled', 5],
      ['resizesScheduled', 'criticalRendered', 60],
      ['criticalRendered', 'criticalResized', 15],
      ['criticalResized', 'writerScheduled', 10],
      ['writerScheduled', 'documentBuilt', 12],
      ['documentBuilt', 'writerCompleted', 8],
      ['writerCompleted', 'visible', 10],
    ]);
    // Adjacent stages tile the whole path.
    expect(breakdown.stages.reduce((total, stage) => total + stage.medianMs, 0)).toBe(180);
    expect(breakdown.totalMedianMs).toBe(180);
    expect(breakdown.criticalSizes).toEqual({ large: 1 });
    expect(Object.keys(breakdown.boundaries)).toHaveLength(9);
  });

  it('takes medians per stage across uploads', () => {
    const timelines = [0, 1000, 2000].map((shift, index) =>
      uploadTimeline({
        blobName: `${index}.jpg`,
        uploadedAt: T0 + shift - index * 10, // each later upload waited 10 ms longer for its event
        visibleAt: T0 + shift + 180,
        document: documentFor(shift),
        history: history(iso, shift),
        resizeActivities: RESIZES,
        writerActivity: 'writeImageDocument',
      }),
    );
    const breakdown = summarizeStages(timelines, LABELS, 'milliseconds');
    const first = breakdown.stages[0];
    expect(first?.medianMs).toBe(70);
    expect(first?.p95Ms).toBe(80);
    expect(first?.samples).toBe(3);
    expect(breakdown.totalMedianMs).toBe(190);
    expect(breakdown.perSize.find((size) => size.label === 'large')).toEqual({
      label: 'large',
      toRenderedMedianMs: 60,
      toCompletedMedianMs: 15,
    });
  });

  it('falls back to document and client times when the history has whole seconds only', () => {
    const coarse = history(seconds);
    expect(historyHasSubSecondTimes(coarse)).toBe(false);
    expect(historyHasSubSecondTimes(history(iso))).toBe(true);
    const timeline = uploadTimeline({
      blobName: 'a.jpg',
      uploadedAt: T0,
      visibleAt: T0 + 180,
      document: documentFor(),
      history: coarse,
      resizeActivities: RESIZES,
      writerActivity: 'writeImageDocument',
    });
    const breakdown = summarizeStages([timeline], LABELS, 'whole seconds (not used)');
    expect(breakdown.stages.map((stage) => [stage.from, stage.to, stage.medianMs])).toEqual([
      ['uploaded', 'criticalRendered', 125],
      ['criticalRendered', 'documentBuilt', 37],
      ['documentBuilt', 'visible', 18],
    ]);
    // A merged stage names everything it spans.
    expect(breakdown.stages[0]?.contents).toContain('Event Grid stand-in');
    expect(breakdown.stages[0]?.contents).toContain('decode/resize/encode');
    expect(breakdown.finalEpisodeMedianMs).toBeUndefined();
    expect(Object.keys(breakdown.boundaries)).toEqual([
      'uploaded',
      'criticalRendered',
      'documentBuilt',
      'visible',
    ]);
  });
});
