import { CosmosClient, type Container } from '@azure/cosmos';
import { odata, TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import https from 'node:https';
import path from 'node:path';
import { freePort, readDurableHostConfig, startStack } from '@image-derivatives/devhost';
import { instanceIdFor } from '../../src/domain/ids';
import type { ImageDocument } from '../../src/domain/types';
import { percentile } from '../stats';
import { cpuBetween, cpuSnapshot } from './processCpu';
import { runUnloaded, unloadedBlobName, type UnloadedResult } from './unloaded';

/**
 * The end-to-end section: first M uploads one at a time (`unloaded`: per-image latency and where it goes),
 * then N uploads at once on the same stack (the burst: the top-level latency and throughput fields).
 * `lost` and the duplicate counts cover both phases.
 */
export interface EndToEndResult {
  /** Concurrent uploads in the burst. */
  uploads: number;
  image: string;
  imageBytes: number;
  stackStartMs: number;
  uploadPhaseMs: number;
  /** Burst: upload completed -> document `updatedAt`; dominated by queueing behind the other uploads. */
  latencyMs: { p50: number; p95: number; max: number; min: number; samples: number[] };
  /** Completed images per second between the first upload finishing and the last document written. */
  throughputImagesPerSecond: number;
  windowSeconds: number;
  coreLimitImagesPerSecond: number;
  throughputVsCoreLimit: number;
  /** Burst images with a completed document. */
  completed: number;
  /** Both phases: uploads without a completed document before their timeout. */
  lost: number;
  lostBlobNames: string[];
  lostByPhase: { unloaded: number; burst: number };
  duplicatedDocuments: number;
  duplicatedInstances: number;
  instanceCheck: string;
  statuses: Record<string, number>;
  executionsPerImage: { count: number; orchestratorEpisodes: number; method: string };
  publisherPollMs: number;
  /** One image at a time through the idle pipeline: the latency the p50 target is evaluated on. */
  unloaded: UnloadedResult;
  /**
   * CPU the whole local pipeline used during the burst (this process: host, app, Durable engine, Cosmos server,
   * publisher; plus its children: Azurite), per completed image, and as a share of all cores over the window.
   */
  pipelineCpu: {
    seconds: number;
    perImageSeconds: number;
    shareOfCores: number;
    azuriteSeconds: number;
    /** cores / whole-pipeline CPU per image: the ceiling this stack could reach on this machine. */
    limitImagesPerSecond: number;
  };
}

export interface EndToEndOptions {
  uploads: number;
  image: { name: string; data: Buffer };
  /** Resize CPU seconds per image (all sizes) from the core comparison: the core limit's denominator. */
  cpuSecondsPerImage: number;
  sizeLabels: readonly string[];
  cores: number;
  timeoutMs: number;
  /** How often the local Event Grid publisher lists the container (Event Grid's own delivery delay stand-in). */
  publisherPollMs: number;
  /** Images sent one at a time through the idle pipeline before the burst (after the warm-up ones). */
  unloadedUploads: number;
  /** Unloaded uploads first, outside the figures: the first image pays for JIT and sharp's start-up. */
  warmUpUploads: number;
  log: (line: string) => void;
}

const UNPROCESSED = 'images-unprocessed';
const POLL_INTERVAL_MS = 250;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface DurableStatus {
  instanceId?: string;
  runtimeStatus?: string;
  input?: { source?: { container?: string; blobName?: string; eTag?: string } } | null;
}

const ORCHESTRATOR_STARTED = 12;

/**
 * Orchestrator episodes of one instance: its `OrchestratorStarted` rows in the task hub's History table (the
 * Durable HTTP API hides them, as the real extension does). Each episode is one billed orchestrator execution.
 */
async function countEpisodes(
  connectionString: string,
  taskHub: string,
  instanceId: string,
): Promise<number | undefined> {
  const history = TableClient.fromConnectionString(connectionString, `${taskHub}History`, {
    allowInsecureConnection: true,
  });
  let episodes = 0;
  for await (const row of history.listEntities<{ EventType?: unknown }>({
    queryOptions: { filter: odata`PartitionKey eq ${instanceId}` },
  })) {
    if (row.EventType === ORCHESTRATOR_STARTED || row.EventType === 'OrchestratorStarted') episodes += 1;
  }
  return episodes > 0 ? episodes : undefined;
}

/** Every orchestration instance the Durable HTTP API lists (following continuation tokens). */
async function listInstances(baseUrl: string): Promise<DurableStatus[] | undefined> {
  const all: DurableStatus[] = [];
  let token: string | null = null;
  do {
    const response: Response = await fetch(`${baseUrl}/runtime/webhooks/durabletask/instances?top=500`, {
      headers: token === null ? {} : { 'x-ms-continuation-token': token },
    });
    if (!response.ok) return undefined;
    const page = await response.json();
    if (!Array.isArray(page)) return undefined;
    all.push(...(page as DurableStatus[]));
    token = response.headers.get('x-ms-continuation-token');
  } while (token !== null && token !== '');
  return all;
}

interface SeenDocuments {
  completed: Map<string, ImageDocument>;
  latestStatus: Map<string, string>;
}

/** Polls Cosmos until every named source has a `completed` document, or the deadline passes. */
async function waitForDocuments(
  documents: Container,
  names: ReadonlySet<string>,
  deadline: number,
): Promise<SeenDocuments> {
  const completed = new Map<string, ImageDocument>();
  const latestStatus = new Map<string, string>();
  for (;;) {
    const { resources } = await documents.items.query<ImageDocument>('SELECT * FROM c').fetchAll();
    for (const document of resources) {
      if (!names.has(document.sourceBlobName)) continue;
      latestStatus.set(document.sourceBlobName, document.status);
      if (document.status === 'completed' && !completed.has(document.sourceBlobName)) {
        completed.set(document.sourceBlobName, document);
      }
    }
    if (completed.size === names.size || Date.now() >= deadline) return { completed, latestStatus };
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Counts this run's documents per source path (any status) with one query. */
async function documentsPerPath(
  documents: Container,
  names: ReadonlySet<string>,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const { resources } = await documents.items
    .query<{ sourceBlobName: string }>('SELECT c.sourceBlobName FROM c')
    .fetchAll();
  for (const { sourceBlobName } of resources) {
    if (names.has(sourceBlobName)) counts.set(sourceBlobName, (counts.get(sourceBlobName) ?? 0) + 1);
  }
  return counts;
}

/**
 * M uploads one at a time, then N concurrent uploads into images-unprocessed on the local stack (real app, Durable engine, Event Grid
 * publisher), then upload-complete -> Cosmos document latency, throughput, and lost / duplicated work.
 */
export async function runBurst(options: EndToEndOptions): Promise<EndToEndResult> {
  const { log } = options;
  const stackStarted = Date.now();
  // The repository root (this file runs from dist/bench/e2e after the build).
  const above = path.resolve(__dirname, '..', '..', '..');
  const appRoot = path.basename(above) === 'dist' ? path.dirname(above) : above;
  const stack = await startStack({
    appRoot,
    port: 0,
    azurite: {
      ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
      location: 'memory',
    },
    cosmos: { port: await freePort() },
    pollIntervalMs: options.publisherPollMs,
    quiet: true,
  });
  const stackStartMs = Date.now() - stackStarted;
  log(`e2e: local stack up in ${stackStartMs} ms at ${stack.baseUrl}`);
  const cosmos = new CosmosClient({
    endpoint: stack.cosmosEndpoint,
    key: stack.cosmosKey,
    agent: new https.Agent({ rejectUnauthorized: false }),
  });
  try {
    const blobs = BlobServiceClient.fromConnectionString(stack.connectionString).getContainerClient(
      UNPROCESSED,
    );
    await blobs.createIfNotExists();
    const documents = cosmos.database('MediaCorp').container('Images');
    const runId = Date.now().toString(36);
    const sizeCount = options.sizeLabels.length;
    const upload = async (name: string): Promise<{ doneAt: number; eTag: string | undefined }> => {
      const response = await blobs.getBlockBlobClient(name).uploadData(options.image.data, {
        blobHTTPHeaders: { blobContentType: 'image/jpeg' },
      });
      return { doneAt: Date.now(), eTag: response.etag };
    };

    // Unloaded: one image at a time through an idle pipeline (also warms the app up before the burst).
    const unloaded = await runUnloaded({
      blobs,
      documents,
      baseUrl: stack.baseUrl,
      image: { data: options.image.data, contentType: 'image/jpeg' },
      namePrefix: `bench-${runId}/`,
      uploads: options.unloadedUploads,
      warmUpUploads: options.warmUpUploads,
      sizeLabels: options.sizeLabels,
      timeoutMs: Math.min(options.timeoutMs, 30_000),
      log,
    });
    const unloadedNames = new Set(
      Array.from({ length: options.warmUpUploads + options.unloadedUploads }, (_, index) =>
        unloadedBlobName(`bench-${runId}/`, index, options.warmUpUploads),
      ),
    );

    // Burst: every upload at once.
    const names = Array.from(
      { length: options.uploads },
      (_, index) => `bench-${runId}/photo-${String(index).padStart(3, '0')}.jpg`,
    );
    const uploadedAt = new Map<string, number>();
    const eTags = new Map<string, string>();
    const cpuBefore = cpuSnapshot();
    const uploadStart = Date.now();
    await Promise.all(
      names.map(async (name) => {
        const uploaded = await upload(name);
        uploadedAt.set(name, uploaded.doneAt);
        if (uploaded.eTag !== undefined) eTags.set(name, uploaded.eTag);
      }),
    );
    const uploadPhaseMs = Date.now() - uploadStart;
    log(`e2e: ${options.uploads} uploads of ${options.image.name} done in ${uploadPhaseMs} ms`);
    const seen = await waitForDocuments(documents, new Set(names), Date.now() + options.timeoutMs);
    const cpu = cpuBetween(cpuBefore, cpuSnapshot());
    const finished = seen.completed;

    // Latency from the document's own write time: the writer stamps updatedAt on this machine's clock, so
    // the poll interval does not blur the figure.
    const latencies: number[] = [];
    const completions: number[] = [];
    for (const [name, document] of finished) {
      const written = Date.parse(document.updatedAt);
      const uploaded = uploadedAt.get(name) as number;
      latencies.push(written - uploaded);
      completions.push(written);
    }
    const firstUploadDone = Math.min(...uploadedAt.values());
    const lastCompletion = completions.length > 0 ? Math.max(...completions) : Number.NaN;
    const windowSeconds = (lastCompletion - firstUploadDone) / 1000;
    const throughput = finished.size / windowSeconds;
    const coreLimit = options.cores / options.cpuSecondsPerImage;
    const cpuSeconds = cpu.selfSeconds + cpu.descendantsSeconds;
    const statuses: Record<string, number> = {};
    for (const status of seen.latestStatus.values()) statuses[status] = (statuses[status] ?? 0) + 1;

    // Duplicates, over both phases: more than one document per source path, or more than one instance for
    // one version.
    const allNames = new Set([...unloadedNames, ...names]);
    const perPath = await documentsPerPath(documents, allNames);
    const duplicatedDocuments = [...perPath.values()].filter((count) => count > 1).length;
    let duplicatedInstances = 0;
    let instanceCheck: string;
    const instances = await listInstances(stack.baseUrl);
    if (instances !== undefined) {
      const perVersion = new Map<string, number>();
      for (const instance of instances) {
        const source = instance.input?.source;
        if (source?.blobName === undefined || !allNames.has(source.blobName)) continue;
        const version = `${source.blobName}@${source.eTag ?? ''}`;
        perVersion.set(version, (perVersion.get(version) ?? 0) + 1);
      }
      duplicatedInstances = [...perVersion.values()].reduce(
        (extra, count) => extra + Math.max(0, count - 1),
        0,
      );
      instanceCheck = `listed ${instances.length} orchestration instances via the Durable HTTP API, ${perVersion.size} source versions from this run (both phases)`;
    } else {
      const expectedIds = new Set(
        names.map((name) => instanceIdFor(UNPROCESSED, name, eTags.get(name) ?? '')),
      );
      duplicatedInstances = [...finished.values()].filter(
        (document) => !expectedIds.has(document.instanceId),
      ).length;
      instanceCheck =
        'instance listing unavailable: checked each burst document names the deterministic instance id of its upload';
    }

    // Episodes vary with how activity completions batch into replays: average over up to 10 instances.
    const taskHub = readDurableHostConfig(appRoot).hubName;
    const sampled = [...finished.values()].slice(0, 10);
    const counts: number[] = [];
    for (const document of sampled) {
      const count = await countEpisodes(stack.connectionString, taskHub, document.instanceId);
      if (count !== undefined) counts.push(count);
    }
    const episodes =
      counts.length > 0 ? counts.reduce((total, count) => total + count, 0) / counts.length : undefined;
    const orchestratorEpisodes = episodes ?? sizeCount + 2;
    const burstLost = names.filter((name) => !finished.has(name));
    const lostBlobNames = [...unloaded.lostBlobNames, ...burstLost];
    return {
      uploads: options.uploads,
      image: options.image.name,
      imageBytes: options.image.data.length,
      stackStartMs,
      uploadPhaseMs,
      latencyMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        max: Math.max(...latencies),
        min: Math.min(...latencies),
        samples: [...latencies].sort((a, b) => a - b),
      },
      throughputImagesPerSecond: throughput,
      windowSeconds,
      coreLimitImagesPerSecond: coreLimit,
      throughputVsCoreLimit: throughput / coreLimit,
      completed: finished.size,
      lost: lostBlobNames.length,
      lostBlobNames,
      lostByPhase: { unloaded: unloaded.lostBlobNames.length, burst: burstLost.length },
      duplicatedDocuments,
      duplicatedInstances,
      instanceCheck,
      statuses,
      executionsPerImage: {
        // 1 Event Grid trigger + orchestrator episodes + one activity per size + the document writer.
        count: 1 + orchestratorEpisodes + sizeCount + 1,
        orchestratorEpisodes,
        method:
          episodes === undefined
            ? `history unavailable: upper bound of ${orchestratorEpisodes} episodes (start, one per size completion, writer completion)`
            : `mean OrchestratorStarted rows in ${taskHub}History over ${counts.length} instances (${Math.min(...counts)}-${Math.max(...counts)})`,
      },
      publisherPollMs: options.publisherPollMs,
      unloaded,
      pipelineCpu: {
        seconds: cpuSeconds,
        perImageSeconds: cpuSeconds / Math.max(1, finished.size),
        shareOfCores: cpuSeconds / (options.cores * ((lastCompletion - uploadStart) / 1000)),
        azuriteSeconds: cpu.descendantsSeconds,
        limitImagesPerSecond: (options.cores * Math.max(1, finished.size)) / cpuSeconds,
      },
    };
  } finally {
    cosmos.dispose();
    await stack.stop();
  }
}
