/**
 * `npm run bench -- --backfill [--backfill-images 1000]`: backfills one new size over N small images on the local
 * stack and measures what the capacity plan (docs/scale.md) and the cost projection (docs/bench.md) rest on:
 * images/s, CPU per image (this process, which hosts the app, the engine and the Cosmos server, plus Azurite),
 * lost/duplicated runs, the backfill's largest history and state, and the storage and Cosmos requests per image.
 *
 * Requests are counted where they arrive, not guessed: a counting HTTP proxy in front of Azurite's Blob endpoint
 * (the app's IMAGES_STORAGE points at it) and the Cosmos server's own `request` event. The Durable engine's
 * Table traffic is not counted: it is the local engine's, not the Azure backend's.
 */
import http from 'node:http';
import https from 'node:https';
import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import sharp from 'sharp';
import {
  EMULATOR_KEY,
  freePort,
  startAzurite,
  startCosmos,
  startStack,
  type RunningStack,
} from '@image-derivatives/devhost';
import { isBackfillRunInstanceId } from '../../src/domain/backfill';
import { queryInstances } from '../../src/triggers/instanceStatus';
import { cpuBetween, cpuSnapshot } from '../e2e/processCpu';

export interface BackfillBenchResult {
  images: number;
  imageDescription: string;
  newSize: { label: string; width: number; height: number };
  maxInFlight: number;
  pageSize: number;
  pollSeconds: number;
  wallSeconds: number;
  imagesPerSecond: number;
  cpuSecondsPerImage: number;
  cpuSecondsTotal: number;
  lost: number;
  duplicated: number;
  output: Record<string, number>;
  /** Largest history of one backfill execution seen while it ran (events, and bytes of the status answer). */
  peakHistoryEvents: number;
  peakHistoryBytes: number;
  /** Largest backfill state (the input carried by continueAsNew), JSON characters. */
  peakStateBytes: number;
  peakRssMb: number;
  /** Requests per image by kind, during the measured backfill only. */
  blobRequestsPerImage: Record<string, number>;
  cosmosRequestsPerImage: Record<string, number>;
  /** Activities each run scheduled (from one run's history). */
  activitiesPerRun: number;
  /**
   * The same backfill again, every image up to date: images decided per second (a Cosmos point read and a status
   * read each, `START_CONCURRENCY` at a time, batches of `maxInFlight`), the rate a backfill can list and decide
   * with no image work; its counters must say `started 0`.
   */
  rerun: { wallSeconds: number; imagesPerSecond: number; output: Record<string, number> };
}

type Counts = Map<string, number>;
const bump = (counts: Counts, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/** `GET ?restype=container&comp=list` → "GET list"; a plain blob GET → "GET blob". */
function blobKind(method: string, url: string): string {
  const query = new URL(url, 'http://x').searchParams;
  return `${method} ${query.get('comp') ?? (query.get('restype') === 'container' ? 'container' : 'blob')}`;
}

/** `/dbs/MediaCorp/colls/Images/docs/{id}` → "GET docs/{id}" (point operation); `/docs` → "POST docs". */
function cosmosKind(method: string, url: string): string {
  const path = new URL(url, 'http://x').pathname.replace(/\/+$/, '');
  const segments = path.split('/').filter((segment) => segment !== '');
  const resource = segments.length % 2 === 0 ? `${segments.at(-2) ?? ''}/{id}` : (segments.at(-1) ?? '');
  return `${method} ${resource}`;
}

/** A counting reverse proxy for Azurite Blob (HTTP/1.1, streams bodies through). */
async function countingBlobProxy(targetPort: number, counts: { on: boolean; counts: Counts }) {
  const port = await freePort();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((request, response) => {
    if (counts.on) bump(counts.counts, blobKind(request.method ?? 'GET', request.url ?? '/'));
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: targetPort,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: `127.0.0.1:${targetPort}` },
        agent,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}

interface Status {
  runtimeStatus: string;
  customStatus?: unknown;
  input?: unknown;
  output?: Record<string, number>;
  historyEvents?: Array<{ EventType?: string; FunctionName?: string }>;
}

async function getJson<T>(url: string): Promise<{ body: T; bytes: number }> {
  const response = await fetch(url);
  const text = await response.text();
  return { body: JSON.parse(text) as T, bytes: Buffer.byteLength(text) };
}

async function postBackfill(baseUrl: string, body: unknown): Promise<string> {
  const response = await fetch(`${baseUrl}/api/backfill`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { id?: string; message?: string };
  if (response.status !== 202 || answer.id === undefined) {
    throw new Error(`POST /api/backfill answered ${response.status}: ${answer.message ?? ''}`);
  }
  return answer.id;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface BackfillBenchOptions {
  appRoot: string;
  images: number;
  maxInFlight: number;
  log: (line: string) => void;
}

const THUMB = { label: 'thumb', width: 150, height: 150 };
const NEW_SIZE = { label: 'xl', width: 200, height: 200 };
const PAGE_SIZE = 500;
const POLL_SECONDS = 1;

export async function runBackfillBench(options: BackfillBenchOptions): Promise<BackfillBenchResult> {
  const { log } = options;
  const blobCounts = { on: false, counts: new Map() as Counts };
  const cosmosCounts = { on: false, counts: new Map() as Counts };
  const azurite = await startAzurite({
    ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
  });
  const cosmos = await startCosmos(await freePort());
  cosmos.server.on('request', (request: http.IncomingMessage) => {
    if (cosmosCounts.on) bump(cosmosCounts.counts, cosmosKind(request.method ?? 'GET', request.url ?? '/'));
  });
  const proxy = await countingBlobProxy(azurite.ports.blob, blobCounts);
  const connectionString = azurite.connectionString.replace(
    `BlobEndpoint=http://127.0.0.1:${azurite.ports.blob}/`,
    `BlobEndpoint=http://127.0.0.1:${proxy.port}/`,
  );
  let stack: RunningStack | undefined;
  try {
    stack = await startStack({
      appRoot: options.appRoot,
      port: 0,
      azurite: { connectionString },
      cosmos: { endpoint: cosmos.endpoint, key: EMULATOR_KEY },
      quiet: true,
      settings: {
        IMAGE_SIZES: JSON.stringify([THUMB, NEW_SIZE]),
        BACKFILL_MAX_IN_FLIGHT: String(options.maxInFlight),
        BACKFILL_PAGE_SIZE: String(PAGE_SIZE),
        BACKFILL_POLL_SECONDS: String(POLL_SECONDS),
      },
    });
    const { baseUrl } = stack;
    const source =
      BlobServiceClient.fromConnectionString(connectionString).getContainerClient('images-unprocessed');

    // Small photos: 320x240 JPEG, ten different pictures.
    const pictures = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        sharp({
          create: {
            width: 320,
            height: 240,
            channels: 3,
            background: { r: 20 * i, g: 120, b: 255 - 20 * i },
          },
        })
          .composite([
            {
              input: Buffer.from(
                `<svg width="320" height="240"><circle cx="${60 + 20 * i}" cy="120" r="50" fill="#fff"/></svg>`,
              ),
            },
          ])
          .jpeg({ quality: 85 })
          .toBuffer(),
      ),
    );
    log(`backfill: uploading ${options.images} images of 320x240`);
    const names = Array.from({ length: options.images }, (_, i) => `bench/${String(i).padStart(5, '0')}.jpg`);
    for (let i = 0; i < names.length; i += 32) {
      await Promise.all(
        names.slice(i, i + 32).map((name, j) =>
          source.getBlockBlobClient(name).uploadData(pictures[(i + j) % pictures.length] as Buffer, {
            blobHTTPHeaders: { blobContentType: 'image/jpeg' },
          }),
        ),
      );
    }

    const waitDone = async (
      id: string,
      sample?: (status: Status, bytes: number) => void,
    ): Promise<Status> => {
      for (;;) {
        const { body, bytes } = await getJson<Status>(
          `${baseUrl}/runtime/webhooks/durabletask/instances/${id}?showHistory=true&showInput=true`,
        );
        sample?.(body, bytes);
        if (['Completed', 'Failed', 'Terminated'].includes(body.runtimeStatus)) return body;
        await sleep(500);
      }
    };

    log('backfill: seeding documents (a first backfill of thumb)');
    const seed = await waitDone(await postBackfill(baseUrl, { sizes: ['thumb'] }));
    if (seed.runtimeStatus !== 'Completed')
      throw new Error(`the seeding backfill ended ${seed.runtimeStatus}`);

    log(`backfill: measured run, new size ${NEW_SIZE.label} over ${options.images} images`);
    let peakHistoryEvents = 0;
    let peakHistoryBytes = 0;
    let peakStateBytes = 0;
    let peakRss = process.memoryUsage().rss;
    blobCounts.counts.clear();
    cosmosCounts.counts.clear();
    blobCounts.on = true;
    cosmosCounts.on = true;
    const cpuBefore = cpuSnapshot();
    const started = Date.now();
    const id = await postBackfill(baseUrl, { sizes: [NEW_SIZE.label] });
    const done = await waitDone(id, (status, bytes) => {
      peakHistoryEvents = Math.max(peakHistoryEvents, status.historyEvents?.length ?? 0);
      peakHistoryBytes = Math.max(peakHistoryBytes, bytes);
      peakStateBytes = Math.max(peakStateBytes, JSON.stringify(status.input ?? null).length);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    });
    const wallSeconds = (Date.now() - started) / 1000;
    const cpu = cpuBetween(cpuBefore, cpuSnapshot());
    blobCounts.on = false;
    cosmosCounts.on = false;
    if (done.runtimeStatus !== 'Completed')
      throw new Error(`the measured backfill ended ${done.runtimeStatus}`);

    // Lost: an image whose document lacks the new size. Duplicated: more than one run of the new size per image.
    const client = new CosmosClient({
      endpoint: cosmos.endpoint,
      key: EMULATOR_KEY,
      agent: new https.Agent({ rejectUnauthorized: false }),
    });
    const { resources } = await client
      .database('MediaCorp')
      .container('Images')
      .items.query<{ name: string; labels: string[] }>(
        'SELECT c.sourceBlobName AS name, ARRAY(SELECT VALUE v.label FROM v IN c.variants) AS labels FROM c',
      )
      .fetchAll();
    client.dispose();
    const withNewSize = new Set(
      resources.filter((doc) => doc.labels.includes(NEW_SIZE.label)).map((doc) => doc.name),
    );
    const lost = names.filter((name) => !withNewSize.has(name)).length;
    const runs = await queryInstances<{
      instanceId: string;
      input?: { source?: { blobName?: string }; sizes?: Array<{ label: string }> };
    }>(`${baseUrl}/runtime/webhooks/durabletask/instances?instanceIdPrefix=img-&showInput=true`);
    // Backfill runs sit under their version's id (`img-…-b…`), beside the uploads' own runs.
    const newSizeRuns = runs.filter(
      (run) =>
        isBackfillRunInstanceId(run.instanceId) &&
        run.input?.sizes?.some((size) => size.label === NEW_SIZE.label),
    );
    const perImage = new Map<string, number>();
    for (const run of newSizeRuns) {
      const name = run.input?.source?.blobName ?? '';
      perImage.set(name, (perImage.get(name) ?? 0) + 1);
    }
    const duplicated = [...perImage.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
    const sampleRun = newSizeRuns[0];
    const activitiesPerRun = sampleRun
      ? (
          (
            await getJson<Status>(
              `${baseUrl}/runtime/webhooks/durabletask/instances/${sampleRun.instanceId}?showHistory=true`,
            )
          ).body.historyEvents ?? []
        ).filter((event) => event.EventType === 'TaskCompleted' || event.EventType === 'TaskFailed').length
      : 0;

    // The same backfill again: nothing to start, so this times the listing and the decisions alone.
    log('backfill: the same backfill again (every image up to date)');
    const rerunStarted = Date.now();
    const rerunDone = await waitDone(await postBackfill(baseUrl, { sizes: [NEW_SIZE.label] }));
    const rerunSeconds = (Date.now() - rerunStarted) / 1000;
    if (rerunDone.runtimeStatus !== 'Completed')
      throw new Error(`the repeated backfill ended ${rerunDone.runtimeStatus}`);

    const perImageOf = (counts: Counts) =>
      Object.fromEntries(
        [...counts].sort().map(([kind, count]) => [kind, Math.round((count / options.images) * 1000) / 1000]),
      );
    const cpuSecondsTotal = cpu.selfSeconds + cpu.descendantsSeconds;
    return {
      images: options.images,
      imageDescription: '320x240 JPEG (about 5 KB), new size 200x200 box (200x150 out)',
      newSize: NEW_SIZE,
      maxInFlight: options.maxInFlight,
      pageSize: PAGE_SIZE,
      pollSeconds: POLL_SECONDS,
      wallSeconds,
      imagesPerSecond: options.images / wallSeconds,
      cpuSecondsPerImage: cpuSecondsTotal / options.images,
      cpuSecondsTotal,
      lost,
      duplicated,
      output: done.output ?? {},
      peakHistoryEvents,
      peakHistoryBytes,
      peakStateBytes,
      peakRssMb: peakRss / 1024 / 1024,
      blobRequestsPerImage: perImageOf(blobCounts.counts),
      cosmosRequestsPerImage: perImageOf(cosmosCounts.counts),
      activitiesPerRun,
      rerun: {
        wallSeconds: rerunSeconds,
        imagesPerSecond: options.images / rerunSeconds,
        output: rerunDone.output ?? {},
      },
    };
  } finally {
    await stack?.stop();
    await proxy.stop();
    await cosmos.stop();
    await azurite.stop();
  }
}
