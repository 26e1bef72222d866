/**
 * Where the time of one unloaded upload goes, from timestamps the system already records (no instrumentation
 * in src/): the Durable status API's history (ExecutionStarted, each task's ScheduledTime and completion), the
 * document's `updatedAt` and each variant's `createdAt` (written by the activities), and the client's clock for
 * the upload and the first read that sees the document. Everything runs in one process, so one clock.
 */
import { median, percentile } from '../stats';

/** One event of `GET /runtime/webhooks/durabletask/instances/{id}?showHistory=true` (public shape). */
export interface PublicHistoryEvent {
  EventType?: string;
  FunctionName?: string;
  ScheduledTime?: string;
  Timestamp?: string;
}

/** The moments on one upload's critical path, in order; a moment the data does not give is left out. */
export const BOUNDARIES = [
  'uploaded',
  'orchestrationStarted',
  'resizesScheduled',
  'criticalRendered',
  'criticalResized',
  'writerScheduled',
  'documentBuilt',
  'writerCompleted',
  'visible',
] as const;
export type Boundary = (typeof BOUNDARIES)[number];

/** What each moment is, and where its time comes from (printed with the table and kept in the JSON). */
export const BOUNDARY_SOURCES: Record<Boundary, string> = {
  uploaded: 'upload request answered (client clock)',
  orchestrationStarted: 'ExecutionStarted.Timestamp (the trigger called startNew)',
  resizesScheduled: 'ScheduledTime of the resize tasks (start of the episode that fanned out)',
  criticalRendered:
    'variant.createdAt of the size that finished last (stamped by the activity after render, before its upload)',
  criticalResized: 'TaskCompleted.Timestamp of that size (the activity returned)',
  writerScheduled: 'ScheduledTime of writeImageDocument (start of the fan-in episode)',
  documentBuilt: 'document.updatedAt (stamped after the Cosmos read and source HEAD, before the write)',
  writerCompleted: 'TaskCompleted.Timestamp of writeImageDocument (the Cosmos write returned)',
  visible: 'first point read that returned the completed document (client, polled)',
};

/** What happens between two adjacent moments. */
const STAGE_CONTENTS: Partial<Record<`${Boundary}>${Boundary}`, string>> = {
  'uploaded>orchestrationStarted':
    'Event Grid stand-in: proxy records the event, webhook delivery; trigger: validate, startNew',
  'orchestrationStarted>resizesScheduled': 'engine: persist ExecutionStarted, dispatch the first episode',
  'resizesScheduled>criticalRendered':
    'episode 1 persisted, activity dispatched, source download, decode/resize/encode',
  'criticalRendered>criticalResized': 'derivative upload to images-processed',
  'criticalResized>writerScheduled': 'fan-in: completions persisted, orchestrator episode(s) replayed',
  'writerScheduled>documentBuilt':
    'episode persisted, writer dispatched, Cosmos point read, source HEAD, build document',
  'documentBuilt>writerCompleted': 'Cosmos create/replace',
  'writerCompleted>visible':
    'reader poll interval + point read (can be <= 0: the read may see the document before the activity returns)',
};

export interface UploadTimeline {
  blobName: string;
  /** Epoch ms per boundary; absent when the data did not provide it. */
  at: Partial<Record<Boundary, number>>;
  /** Per size: scheduled -> rendered (dispatch + download + render) and rendered -> completed (upload). */
  perSize: Record<string, { toRenderedMs?: number; toCompletedMs?: number }>;
  /** The size whose activity completed last (the critical path). */
  criticalSize: string | undefined;
  /** ExecutionCompleted.Timestamp - writer completed: the last episode, off the document's path. */
  finalEpisodeMs: number | undefined;
}

function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Date.parse(text);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Whether the history's timestamps carry sub-second digits. The extension's createdTime/lastUpdatedTime are
 * `ToString("s")+"Z"` (whole seconds); history timestamps are serialized as full DateTimes, which drop a zero
 * fraction, so one fraction anywhere is enough. Whole-second history would swamp 10-100 ms stages.
 */
export function historyHasSubSecondTimes(history: readonly PublicHistoryEvent[]): boolean {
  return history.some((event) =>
    [event.Timestamp, event.ScheduledTime].some((text) => text !== undefined && /T[\d:]+\.\d+/.test(text)),
  );
}

/** The last completion of a task (a retried task completes once, after its failures). */
function lastCompletion(
  history: readonly PublicHistoryEvent[],
  functionName: string,
): PublicHistoryEvent | undefined {
  return history
    .filter((event) => event.EventType === 'TaskCompleted' && event.FunctionName === functionName)
    .at(-1);
}

export function uploadTimeline(input: {
  blobName: string;
  uploadedAt: number;
  visibleAt: number;
  document: { updatedAt: string; variants: ReadonlyArray<{ label: string; createdAt: string }> };
  history: readonly PublicHistoryEvent[];
  /** `resize-{label}` per size label. */
  resizeActivities: Readonly<Record<string, string>>;
  writerActivity: string;
}): UploadTimeline {
  const useHistory = historyHasSubSecondTimes(input.history);
  const history = useHistory ? input.history : [];
  const at: Partial<Record<Boundary, number>> = { uploaded: input.uploadedAt, visible: input.visibleAt };
  at.documentBuilt = parseTime(input.document.updatedAt);
  at.orchestrationStarted = parseTime(
    history.find((event) => event.EventType === 'ExecutionStarted')?.Timestamp,
  );

  const perSize: UploadTimeline['perSize'] = {};
  let criticalSize: string | undefined;
  let criticalCompleted = -Infinity;
  const scheduledTimes: number[] = [];
  for (const [label, activity] of Object.entries(input.resizeActivities)) {
    const rendered = parseTime(input.document.variants.find((variant) => variant.label === label)?.createdAt);
    const completion = lastCompletion(history, activity);
    const scheduled = parseTime(completion?.ScheduledTime);
    const completed = parseTime(completion?.Timestamp);
    if (scheduled !== undefined) scheduledTimes.push(scheduled);
    perSize[label] = {
      ...(scheduled !== undefined && rendered !== undefined ? { toRenderedMs: rendered - scheduled } : {}),
      ...(rendered !== undefined && completed !== undefined ? { toCompletedMs: completed - rendered } : {}),
    };
    // Without history the size rendered last stands in for the one that completed last.
    const end = completed ?? rendered;
    if (end !== undefined && end > criticalCompleted) {
      criticalCompleted = end;
      criticalSize = label;
      at.criticalRendered = rendered;
      at.criticalResized = completed;
    }
  }
  if (scheduledTimes.length > 0) at.resizesScheduled = Math.min(...scheduledTimes);
  const writer = lastCompletion(history, input.writerActivity);
  at.writerScheduled = parseTime(writer?.ScheduledTime);
  at.writerCompleted = parseTime(writer?.Timestamp);
  const executionCompleted = parseTime(
    history.find((event) => event.EventType === 'ExecutionCompleted')?.Timestamp,
  );
  return {
    blobName: input.blobName,
    at,
    perSize,
    criticalSize,
    finalEpisodeMs:
      executionCompleted !== undefined && at.writerCompleted !== undefined
        ? executionCompleted - at.writerCompleted
        : undefined,
  };
}

export interface StageSummary {
  from: Boundary;
  to: Boundary;
  contents: string;
  medianMs: number;
  p95Ms: number;
  samples: number;
}

export interface StageBreakdown {
  /** Stages between consecutive boundaries every timeline has, in path order. */
  stages: StageSummary[];
  /** Median of (visible - uploaded): the stages' medians need not add up to it exactly. */
  totalMedianMs: number;
  perSize: Array<{ label: string; toRenderedMedianMs: number; toCompletedMedianMs: number }>;
  /** How often each size was the critical one. */
  criticalSizes: Record<string, number>;
  finalEpisodeMedianMs: number | undefined;
  /** Boundary -> what it is and where its time comes from (only the boundaries used). */
  boundaries: Partial<Record<Boundary, string>>;
  /** Whether the Durable history gave sub-second times (else only document and client times are used). */
  historyTimes: 'milliseconds' | 'whole seconds (not used)' | 'none';
}

/** Medians per stage over the timelines; a boundary missing from any timeline is merged into its neighbours. */
export function summarizeStages(
  timelines: readonly UploadTimeline[],
  sizeLabels: readonly string[],
  historyTimes: StageBreakdown['historyTimes'],
): StageBreakdown {
  const present = BOUNDARIES.filter(
    (boundary) => timelines.length > 0 && timelines.every((timeline) => timeline.at[boundary] !== undefined),
  );
  const stages: StageSummary[] = [];
  for (let index = 1; index < present.length; index += 1) {
    const from = present[index - 1] as Boundary;
    const to = present[index] as Boundary;
    const durations = timelines.map(
      (timeline) => (timeline.at[to] as number) - (timeline.at[from] as number),
    );
    const skipped = BOUNDARIES.slice(BOUNDARIES.indexOf(from), BOUNDARIES.indexOf(to) + 1);
    const contents =
      skipped.length === 2
        ? (STAGE_CONTENTS[`${from}>${to}`] ?? '')
        : skipped
            .slice(1)
            .map((boundary, offset) => STAGE_CONTENTS[`${skipped[offset] as Boundary}>${boundary}`] ?? '')
            .join('; ');
    stages.push({
      from,
      to,
      contents,
      medianMs: median(durations),
      p95Ms: percentile(durations, 95),
      samples: durations.length,
    });
  }
  const criticalSizes: Record<string, number> = {};
  for (const timeline of timelines) {
    if (timeline.criticalSize !== undefined)
      criticalSizes[timeline.criticalSize] = (criticalSizes[timeline.criticalSize] ?? 0) + 1;
  }
  const finalEpisodes = timelines.flatMap((timeline) =>
    timeline.finalEpisodeMs === undefined ? [] : [timeline.finalEpisodeMs],
  );
  const sizeMedian = (label: string, key: 'toRenderedMs' | 'toCompletedMs'): number =>
    median(
      timelines.flatMap((timeline) => {
        const value = timeline.perSize[label]?.[key];
        return value === undefined ? [] : [value];
      }),
    );
  return {
    stages,
    totalMedianMs: median(
      timelines.flatMap((timeline) =>
        timeline.at.visible !== undefined && timeline.at.uploaded !== undefined
          ? [timeline.at.visible - timeline.at.uploaded]
          : [],
      ),
    ),
    perSize: sizeLabels.map((label) => ({
      label,
      toRenderedMedianMs: sizeMedian(label, 'toRenderedMs'),
      toCompletedMedianMs: sizeMedian(label, 'toCompletedMs'),
    })),
    criticalSizes,
    finalEpisodeMedianMs: finalEpisodes.length > 0 ? median(finalEpisodes) : undefined,
    boundaries: Object.fromEntries(present.map((boundary) => [boundary, BOUNDARY_SOURCES[boundary]])),
    historyTimes,
  };
}
