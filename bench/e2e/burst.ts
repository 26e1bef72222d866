import { CosmosClient, type Container } from '@azure/cosmos';
import { odata, TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import https from 'node:https';
import path from 'node:path';
import { readDurableHostConfig } from '../../devhost/hostConfig';
import { freePort } from '../../devhost/services/ports';
import { startStack } from '../../devhost/stack';
import { instanceIdFor } from '../../src/domain/ids';
import type { ImageDocument } from '../../src/domain/types';
import { percentile } from '../stats';
import { cpuBetween, cpuSnapshot } from './processCpu';

export interface EndToEndResult {
  uploads: number;
  image: string;
  imageBytes: number;
  stackStartMs: number;
  uploadPhaseMs: number;
  latencyMs: { p50: number; p95: number; max: number; min: number; samples: number[] };
  /** Completed images per second between the first upload finishing and the last document written. */
  throughputImagesPerSecond: number;
  windowSeconds: number;
  coreLimitImagesPerSecond: number;
  throughputVsCoreLimit: number;
  completed: number;
  lost: number;
  lostBlobNames: string[];
  duplicatedDocuments: number;
  duplicatedInstances: number;
  instanceCheck: string;
  statuses: Record<string, number>;
  executionsPerImage: { count: number; orchestratorEpisodes: number; method: string };
  publisherPollMs: number;
  /** Upload -> document latency of single images through the idle pipeline (the pipeline's own overhead). */
  soloLatencyMs: number[];
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
  sizeCount: number;
  cores: number;
  timeoutMs: number;
  /** How often the local Event Grid publisher lists the container (Event Grid's own delivery delay stand-in). */
  publisherPollMs: number;
  /** Images sent one at a time through the idle pipeline before the burst. */
  soloUploads: number;
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
  documentsPerPath: Map<string, number>;
  latestStatus: Map<string, string>;
}

/** Polls Cosmos until every named source has a `completed` document, or the deadline passes. */
async function waitForDocuments(
  documents: Container,
  names: ReadonlySet<string>,
  deadline: number,
): Promise<SeenDocuments> {
  const completed = new Map<string, ImageDocument>();
  const documentsPerPath = new Map<string, number>();
  const latestStatus = new Map<string, string>();
  for (;;) {
    const { resources } = await documents.items.query<ImageDocument>('SELECT * FROM c').fetchAll();
    documentsPerPath.clear();
    for (const document of resources) {
      if (!names.has(document.sourceBlobName)) continue;
      documentsPerPath.set(document.sourceBlobName, (documentsPerPath.get(document.sourceBlobName) ?? 0) + 1);
      latestStatus.set(document.sourceBlobName, document.status);
      if (document.status === 'completed' && !completed.has(document.sourceBlobName)) {
        completed.set(document.sourceBlobName, document);
      }
    }
    if (completed.size === names.size || Date.now() >= deadline)
      return { completed, documentsPerPath, latestStatus };
    await sleep(POLL_INTERVAL_MS);
  }
}

/**
 * N concurrent uploads into images-unprocessed on the local stack (real app, Durable engine, Event Grid
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
    const upload = async (name: string): Promise<{ doneAt: number; eTag: string | undefined }> => {
      const response = await blobs.getBlockBlobClient(name).uploadData(options.image.data, {
        blobHTTPHeaders: { blobContentType: 'image/jpeg' },
      });
      return { doneAt: Date.now(), eTag: response.etag };
    };

    // Solo: one image at a time through an idle pipeline (also warms the app up before the burst).
    const soloLatencies: number[] = [];
    for (let index = 0; index < options.soloUploads; index += 1) {
      const name = `bench-${runId}/solo-${index}.jpg`;
      const uploaded = await upload(name);
      const seen = await waitForDocuments(documents, new Set([name]), Date.now() + options.timeoutMs);
      const document = seen.completed.get(name);
      if (document !== undefined) soloLatencies.push(Date.parse(document.updatedAt) - uploaded.doneAt);
    }
    log(`e2e: solo latencies ${soloLatencies.map((latency) => latency.toFixed(0)).join(', ')} ms`);

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
    const byPath = seen.documentsPerPath;

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

    // Duplicates: more than one document per source path, or more than one instance for one version.
    const duplicatedDocuments = [...byPath.values()].filter((count) => count > 1).length;
    let duplicatedInstances = 0;
    let instanceCheck: string;
    const instances = await listInstances(stack.baseUrl);
    if (instances !== undefined) {
      const perVersion = new Map<string, number>();
      for (const instance of instances) {
        const source = instance.input?.source;
        if (source?.blobName === undefined || !uploadedAt.has(source.blobName)) continue;
        const version = `${source.blobName}@${source.eTag ?? ''}`;
        perVersion.set(version, (perVersion.get(version) ?? 0) + 1);
      }
      duplicatedInstances = [...perVersion.values()].reduce(
        (extra, count) => extra + Math.max(0, count - 1),
        0,
      );
      instanceCheck = `listed ${instances.length} orchestration instances via the Durable HTTP API, ${perVersion.size} source versions from this run`;
    } else {
      const expectedIds = new Set(
        names.map((name) => instanceIdFor(UNPROCESSED, name, eTags.get(name) ?? '')),
      );
      duplicatedInstances = [...finished.values()].filter(
        (document) => !expectedIds.has(document.instanceId),
      ).length;
      instanceCheck =
        'instance listing unavailable: checked each document names the deterministic instance id of its upload';
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
    const orchestratorEpisodes = episodes ?? options.sizeCount + 2;
    const lostBlobNames = names.filter((name) => !finished.has(name));
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
      duplicatedDocuments,
      duplicatedInstances,
      instanceCheck,
      statuses,
      executionsPerImage: {
        // 1 Event Grid trigger + orchestrator episodes + one activity per size + the document writer.
        count: 1 + orchestratorEpisodes + options.sizeCount + 1,
        orchestratorEpisodes,
        method:
          episodes === undefined
            ? `history unavailable: upper bound of ${orchestratorEpisodes} episodes (start, one per size completion, writer completion)`
            : `mean OrchestratorStarted rows in ${taskHub}History over ${counts.length} instances (${Math.min(...counts)}-${Math.max(...counts)})`,
      },
      publisherPollMs: options.publisherPollMs,
      soloLatencyMs: soloLatencies,
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
