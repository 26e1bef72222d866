import type { Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import { resizeFunctionName, WRITE_DOCUMENT_FUNCTION } from '../../src/domain/functionNames';
import { documentIdFor, instanceIdFor } from '../../src/domain/ids';
import type { ImageDocument } from '../../src/domain/types';
import { percentile } from '../stats';
import {
  historyHasSubSecondTimes,
  summarizeStages,
  uploadTimeline,
  type PublicHistoryEvent,
  type StageBreakdown,
  type UploadTimeline,
} from './stages';

/** Upload -> document latency of images sent one at a time through an otherwise idle pipeline. */
export interface UnloadedResult {
  /** Measured uploads (the warm-up ones are not in the figures). */
  uploads: number;
  warmUpUploads: number;
  completed: number;
  /** Upload completed (client) -> first read that sees the completed document: what a reader waits. */
  latencyMs: { p50: number; p95: number; max: number; min: number; samples: number[] };
  /** Upload completed -> the document's own `updatedAt`: the burst's definition, for comparison. */
  toUpdatedAtMs: { p50: number; p95: number; max: number };
  warmUpLatencyMs: number[];
  /** How often the reader polls the document (a point read): bounds how late `visible` can be. */
  visibilityPollMs: number;
  stages: StageBreakdown;
  lostBlobNames: string[];
}

export interface UnloadedOptions {
  blobs: ContainerClient;
  documents: Container;
  /** The Functions host, for the Durable status API. */
  baseUrl: string;
  image: { data: Buffer; contentType: string };
  namePrefix: string;
  uploads: number;
  warmUpUploads: number;
  sizeLabels: readonly string[];
  /** Per upload: how long to wait for its document and its orchestration. */
  timeoutMs: number;
  log: (line: string) => void;
}

const VISIBILITY_POLL_MS = 10;

/** The blob name of the index-th one-at-a-time upload (warm-ups first). */
export function unloadedBlobName(prefix: string, index: number, warmUpUploads: number): string {
  return `${prefix}${index < warmUpUploads ? 'warmup' : 'unloaded'}-${String(index).padStart(3, '0')}.jpg`;
}
const STATUS_POLL_MS = 20;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls a point read until the document is `completed` for this instance; undefined at the deadline. */
async function waitVisible(
  documents: Container,
  documentId: string,
  instanceId: string,
  deadline: number,
): Promise<{ document: ImageDocument; visibleAt: number } | undefined> {
  while (Date.now() < deadline) {
    const { resource } = await documents.item(documentId, documentId).read<ImageDocument>();
    const visibleAt = Date.now();
    if (resource?.status === 'completed' && resource.instanceId === instanceId)
      return { document: resource, visibleAt };
    await sleep(VISIBILITY_POLL_MS);
  }
  return undefined;
}

/**
 * Waits until the orchestration is terminal (so the next upload meets an idle pipeline), then reads its
 * history through the public Durable status API.
 */
async function finishedHistory(
  baseUrl: string,
  instanceId: string,
  deadline: number,
): Promise<PublicHistoryEvent[] | undefined> {
  const url = `${baseUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}`;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}?showInput=false`);
    await response.arrayBuffer();
    if (response.status === 200) break;
    await sleep(STATUS_POLL_MS);
  }
  const response = await fetch(`${url}?showInput=false&showHistory=true&showHistoryOutput=false`);
  if (response.status !== 200) return undefined;
  const body = (await response.json()) as { historyEvents?: unknown };
  return Array.isArray(body.historyEvents) ? (body.historyEvents as PublicHistoryEvent[]) : undefined;
}

/**
 * M uploads, ONE AT A TIME: the next upload starts only after the previous document is visible and its
 * orchestration has finished. Reports latency and, per upload, where the time went.
 */
export async function runUnloaded(options: UnloadedOptions): Promise<UnloadedResult> {
  const { log } = options;
  const resizeActivities = Object.fromEntries(
    options.sizeLabels.map((label) => [label, resizeFunctionName(label)]),
  );
  const latencies: number[] = [];
  const toUpdatedAt: number[] = [];
  const warmUpLatencies: number[] = [];
  const timelines: UploadTimeline[] = [];
  const lostBlobNames: string[] = [];
  let historyTimes: StageBreakdown['historyTimes'] = 'none';
  const total = options.warmUpUploads + options.uploads;
  for (let index = 0; index < total; index += 1) {
    const warmUp = index < options.warmUpUploads;
    const name = unloadedBlobName(options.namePrefix, index, options.warmUpUploads);
    const response = await options.blobs.getBlockBlobClient(name).uploadData(options.image.data, {
      blobHTTPHeaders: { blobContentType: options.image.contentType },
    });
    const uploadedAt = Date.now();
    const container = options.blobs.containerName;
    const instanceId = instanceIdFor(container, name, response.etag ?? '');
    const deadline = uploadedAt + options.timeoutMs;
    const seen = await waitVisible(options.documents, documentIdFor(container, name), instanceId, deadline);
    // The history is read even for warm-ups: it is how this loop knows the pipeline is idle again.
    const history = await finishedHistory(options.baseUrl, instanceId, deadline);
    if (seen === undefined) {
      lostBlobNames.push(name);
      log(`e2e: unloaded ${name}: no completed document within ${options.timeoutMs} ms`);
      continue;
    }
    const latency = seen.visibleAt - uploadedAt;
    if (warmUp) {
      warmUpLatencies.push(latency);
      continue;
    }
    latencies.push(latency);
    toUpdatedAt.push(Date.parse(seen.document.updatedAt) - uploadedAt);
    if (history !== undefined) {
      const precise = historyHasSubSecondTimes(history);
      // One upload's history without fractions would be a coincidence; any precise one decides.
      if (precise) historyTimes = 'milliseconds';
      else if (historyTimes === 'none') historyTimes = 'whole seconds (not used)';
    }
    timelines.push(
      uploadTimeline({
        blobName: name,
        uploadedAt,
        visibleAt: seen.visibleAt,
        document: seen.document,
        history: history ?? [],
        resizeActivities,
        writerActivity: WRITE_DOCUMENT_FUNCTION,
      }),
    );
  }
  log(
    `e2e: unloaded latencies ${latencies.map((latency) => latency.toFixed(0)).join(', ')} ms (warm-up ${warmUpLatencies.join(', ')} ms)`,
  );
  return {
    uploads: options.uploads,
    warmUpUploads: options.warmUpUploads,
    completed: latencies.length,
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      max: Math.max(...latencies),
      min: Math.min(...latencies),
      samples: [...latencies].sort((a, b) => a - b),
    },
    toUpdatedAtMs: {
      p50: percentile(toUpdatedAt, 50),
      p95: percentile(toUpdatedAt, 95),
      max: Math.max(...toUpdatedAt),
    },
    warmUpLatencyMs: warmUpLatencies,
    visibilityPollMs: VISIBILITY_POLL_MS,
    stages: summarizeStages(timelines, options.sizeLabels, historyTimes),
    lostBlobNames,
  };
}
