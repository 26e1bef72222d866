import { spawn } from 'node:child_process';
import path from 'node:path';
import type { CosmosClient, Container } from '@azure/cosmos';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, reconcile, startStack, type RunningStack } from '@image-derivatives/devhost';
import {
  backfillRunInstanceId,
  isBackfillRunInstanceId,
  type BackfillProgress,
} from '../../src/domain/backfill';
import { documentIdFor, instanceIdFor } from '../../src/domain/ids';
import { queryInstances } from '../../src/triggers/instanceStatus';
import type { ImageDocument, SizeSpec } from '../../src/domain/types';
import {
  imageDocuments,
  localCosmosClient,
  repoRoot,
  requireCompiledApp,
  uploadBlob,
  waitFor as waitUntil,
} from '../support/e2eStack';
import { makePhoto } from '../support/images';

/**
 * Backfill on the local stack (compiled app, local Durable engine, Azurite, the Cosmos server): a new size for
 * every stored image, the decision rule per mode against real documents, paging with a small page size, the
 * in-flight bound, idempotence, the 409, and a stop-and-restart of the whole host mid-backfill.
 */
const runId = Date.now().toString(36);
const SOURCE = `bfsrc-${runId}`;
const OUTPUT = `bfout-${runId}`;
const TASK_HUB = `Backfill${runId}`;
const PREFIX = 'users/';
const IMAGE_COUNT = 10;
const PAGE_SIZE = 4;
const MAX_IN_FLIGHT = 2;
const BASE_SIZES: SizeSpec[] = [
  { label: 'thumb', width: 150, height: 150, fit: 'inside', formats: ['source'] },
  { label: 'medium', width: 64, height: 64, fit: 'inside', formats: ['source'] },
];
const XL: SizeSpec = { label: 'xl', width: 96, height: 96, fit: 'inside', formats: ['source'] };
const SIZES = [...BASE_SIZES, XL];

let stack: RunningStack | undefined;
let output: ContainerClient;
let cosmos: CosmosClient;
let documents: Container;
const names = Array.from({ length: IMAGE_COUNT }, (_, i) => `${PREFIX}${String(i).padStart(2, '0')}.png`);
const eTags = new Map<string, string>();

/** Uploads go through the stack's Blob endpoint (its event proxy), so each raises its BlobCreated as in Azure. */
function uploadsThroughStack(): ContainerClient {
  if (stack === undefined) throw new Error('the stack is not running');
  return BlobServiceClient.fromConnectionString(stack.connectionString).getContainerClient(SOURCE);
}

let proxyPort: number;

async function start(sizes: SizeSpec[]): Promise<RunningStack> {
  proxyPort ??= await freePort();
  return await startStack({
    appRoot: repoRoot,
    port: 0,
    // One proxy port for every start: the app in this process keeps the Blob client it built first.
    azurite: { connectionString: inject('azuriteConnectionString'), blobPort: proxyPort },
    cosmos: { endpoint: inject('cosmosEndpoint'), key: inject('cosmosKey') },
    taskHub: TASK_HUB,
    settings: {
      UNPROCESSED_CONTAINER: SOURCE,
      PROCESSED_CONTAINER: OUTPUT,
      IMAGE_SIZES: JSON.stringify(sizes),
      BACKFILL_PAGE_SIZE: String(PAGE_SIZE),
      BACKFILL_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
      BACKFILL_POLL_SECONDS: '1',
    },
    logger: (entry) => {
      if (entry.level === 'error' || entry.level === 'critical') console.error(entry.message);
    },
  });
}

/** Backfill waits span whole pages of runs: longer, and polled more often. */
function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return waitUntil(what, probe, timeoutMs, 100);
}

async function readDocument(name: string): Promise<ImageDocument | undefined> {
  const id = documentIdFor(SOURCE, name);
  return (await documents.item(id, id).read<ImageDocument>()).resource;
}

interface Status {
  instanceId: string;
  runtimeStatus: string;
  customStatus: BackfillProgress | null;
  output: (BackfillProgress & { executions: number }) | null;
}

async function postBackfill(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${stack?.baseUrl}/api/backfill`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function status(instanceId: string): Promise<Status> {
  const response = await fetch(`${stack?.baseUrl}/runtime/webhooks/durabletask/instances/${instanceId}`);
  return (await response.json()) as Status;
}

async function finished(instanceId: string): Promise<Status> {
  return waitFor(`backfill ${instanceId}`, async () => {
    const current = await status(instanceId);
    return ['Completed', 'Failed', 'Terminated'].includes(current.runtimeStatus) ? current : undefined;
  });
}

/** Backfill runs (`img-…-b…`, under their version's id) the engine has running right now. */
async function runningRuns(): Promise<number> {
  const url = `${stack?.baseUrl}/runtime/webhooks/durabletask/instances?instanceIdPrefix=img-&runtimeStatus=Running,Pending`;
  return (await queryInstances<Status>(url)).filter((run) => isBackfillRunInstanceId(run.instanceId)).length;
}

async function allRunIds(): Promise<string[]> {
  const url = `${stack?.baseUrl}/runtime/webhooks/durabletask/instances?instanceIdPrefix=img-`;
  return (await queryInstances<Status>(url))
    .map((instance) => instance.instanceId)
    .filter(isBackfillRunInstanceId);
}

/** `npm run backfill -- …` as a child process (stdout is a pipe: progress lines, no bar). */
function backfillCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'packages/devhost/dist/cli/backfill.js'), ...args],
    {
      env: { ...process.env, DEVHOST_URL: stack?.baseUrl ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  requireCompiledApp();
  const blobs = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
  output = blobs.getContainerClient(OUTPUT);
  cosmos = localCosmosClient(inject('cosmosEndpoint'), inject('cosmosKey'));
  documents = imageDocuments(cosmos);

  // One function app per process: the size catalog is fixed when the app loads, so the stack runs with `xl`
  // from the start, and the documents are then made to look as the ones written before `xl` existed.
  stack = await start(SIZES);
  for (const [index, name] of names.entries()) {
    const photo = await makePhoto({ width: 200 + index, height: 120, format: 'png' });
    eTags.set(name, await uploadBlob(uploadsThroughStack(), name, photo, 'image/png'));
  }
  for (const name of names) {
    await waitFor(`the document of ${name}`, async () => {
      const document = await readDocument(name);
      return document?.status === 'completed' && document.variants.length === SIZES.length
        ? document
        : undefined;
    });
    const document = await readDocument(name);
    if (!document) throw new Error(`no document for ${name}`);
    for (const variant of document.variants.filter((v) => v.label === XL.label)) {
      await output.getBlobClient(variant.blobName).delete();
    }
    await documents.items.upsert({
      ...document,
      variants: document.variants.filter((v) => v.label !== XL.label),
    });
  }
});

afterAll(async () => {
  cosmos?.dispose();
  await stack?.stop();
});

describe('backfill on the local stack', () => {
  it('adds a new size to every stored image, page by page, with at most BACKFILL_MAX_IN_FLIGHT runs at once', async () => {
    if (!stack) throw new Error('no stack');
    // One backfill gives every stored image the new size.
    const started = await postBackfill({ prefix: PREFIX, sizes: ['xl'] });
    expect(started.status).toBe(202);
    const instanceId = started.json.id as string;
    expect(started.json.statusUrl).toContain(instanceId);

    // A second backfill over an overlapping prefix is refused and names the running one.
    const refused = await postBackfill({ prefix: `${PREFIX}0` });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({
      error: 'backfill-running',
      running: { instanceId, prefix: PREFIX },
    });
    const listed = (await (await fetch(`${stack.baseUrl}/api/backfill`)).json()) as {
      running: Array<{ instanceId: string }>;
    };
    expect(listed.running.map((backfill) => backfill.instanceId)).toContain(instanceId);

    let peak = 0;
    let done: Status | undefined;
    while (!done) {
      peak = Math.max(peak, await runningRuns());
      const current = await status(instanceId);
      if (current.runtimeStatus === 'Completed') done = current;
      else expect(current.runtimeStatus).toMatch(/Running|Pending/);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(peak).toBe(MAX_IN_FLIGHT);
    expect(done.output).toEqual({
      listed: IMAGE_COUNT,
      started: IMAGE_COUNT,
      skipped: 0,
      completed: IMAGE_COUNT,
      failed: 0,
      waiting: 0,
      // 10 blobs in pages of 4: three listing pages, one execution each (continueAsNew between pages)
      executions: Math.ceil(IMAGE_COUNT / PAGE_SIZE),
    });
    expect(done.customStatus).toEqual({ ...done.output, executions: undefined });

    for (const [index, name] of names.entries()) {
      const document = await readDocument(name);
      expect(document?.status).toBe('completed');
      // The new size merged into the document of the same version; the old sizes kept.
      expect(document?.variants.map((variant) => variant.label).sort()).toEqual(['medium', 'thumb', 'xl']);
      const xl = document?.variants.find((variant) => variant.label === 'xl');
      const bytes = await output.getBlobClient(xl?.blobName ?? '').downloadToBuffer();
      const metadata = await sharp(bytes).metadata();
      expect([metadata.width, metadata.height]).toEqual([96, Math.round((96 * 120) / (200 + index))]);
    }

    // The same backfill again starts nothing: every image is up to date.
    const again = await postBackfill({ prefix: PREFIX, sizes: ['xl'] });
    const second = await finished(again.json.id as string);
    expect(second.output).toMatchObject({ listed: IMAGE_COUNT, started: 0, skipped: IMAGE_COUNT });
  });

  it('decides per mode from the documents: lost and incomplete ones are missing, internal errors are re-driven', async () => {
    if (!stack) throw new Error('the previous test left no stack');
    const [lost, noMedium, internal, corrupt] = names as [string, string, string, string];
    await documents.item(documentIdFor(SOURCE, lost), documentIdFor(SOURCE, lost)).delete();
    const edit = async (name: string, change: (document: ImageDocument) => ImageDocument) => {
      const document = await readDocument(name);
      if (!document) throw new Error(`no document for ${name}`);
      await documents.items.upsert(change(document));
    };
    await edit(noMedium, (d) => ({
      ...d,
      variants: d.variants.filter((variant) => variant.label !== 'medium'),
    }));
    await edit(internal, (d) => ({
      ...d,
      status: 'partial',
      variants: d.variants.filter((variant) => variant.label !== 'thumb'),
      errors: [{ label: 'thumb', code: 'internal', message: 'resize-thumb failed after retries: timeout' }],
    }));
    await edit(corrupt, (d) => ({
      ...d,
      status: 'failed',
      variants: [],
      errors: [{ code: 'corrupt-image', message: 'The JPEG data is truncated' }],
    }));

    const failed = await finished((await postBackfill({ prefix: PREFIX, only: 'failed' })).json.id as string);
    expect(failed.output).toMatchObject({
      listed: IMAGE_COUNT,
      started: 1,
      skipped: IMAGE_COUNT - 1,
      completed: 1,
    });
    const redriven = await readDocument(internal);
    expect(redriven?.status).toBe('completed');
    expect(redriven?.variants.map((variant) => variant.label).sort()).toEqual(['medium', 'thumb', 'xl']);
    expect((await readDocument(corrupt))?.status).toBe('failed'); // a permanent code is not re-driven

    // `missing`: the lost document, the absent medium, and the corrupt one (its variants are absent too).
    const missing = await finished((await postBackfill({ prefix: PREFIX })).json.id as string);
    expect(missing.output).toMatchObject({
      listed: IMAGE_COUNT,
      started: 3,
      skipped: IMAGE_COUNT - 3,
      completed: 3,
    });
    for (const name of [lost, noMedium, corrupt]) {
      const document = await readDocument(name);
      expect(document?.status).toBe('completed');
      expect(document?.variants.map((variant) => variant.label).sort()).toEqual(['medium', 'thumb', 'xl']);
    }
  });

  it('npm run backfill follows the backfill with progress lines; exit code 0 only without failures', async () => {
    const ok = await backfillCli(['--prefix', PREFIX, '--sizes', 'thumb', '--only', 'all']);
    expect(ok.code, ok.stderr).toBe(0);
    const lines = ok.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Backfill backfill-\S+ started; status: http/);
    expect(lines.slice(1, -1).length).toBeGreaterThan(1); // lines while it runs, one per change
    expect(lines).toContain(
      `${IMAGE_COUNT}/${IMAGE_COUNT} listed images done · ${IMAGE_COUNT} started (0 running) · 0 skipped · ${IMAGE_COUNT} completed · 0 failed`,
    );
    expect(lines.at(-1)).toMatch(/completed: 10 listed, 10 started, 0 skipped, 10 completed, 0 failed$/);

    // A source that is not an image: its run ends `failed`, so the backfill has a failure and the CLI says so.
    await uploadsThroughStack()
      .getBlockBlobClient('broken/notes.png')
      .uploadData(Buffer.from('name,likes\ncat.jpg,42\n'));
    await waitFor(
      'the document of broken/notes.png',
      async () => (await readDocument('broken/notes.png'))?.status === 'failed' || undefined,
    );
    const failing = await backfillCli(['--prefix', 'broken/', '--only', 'all']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/completed: 1 listed, 1 started, 0 skipped, 0 completed, 1 failed/);
    expect(failing.stderr).toContain('backfill: 1 image(s) failed');

    const refused = await backfillCli(['--sizes', 'huge']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/answered 400: Expected size labels from thumb, medium, xl for sizes/);

    // --attach checks the id before it says "attached": an id the task hub does not know, or an image's run.
    const unknown = await backfillCli(['--attach', 'backfill-nosuch1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe(
      `backfill: no backfill backfill-nosuch1 on ${stack?.baseUrl}: the task hub has no instance with that id; ` +
        'no backfill is running\n',
    );
    const uploadRun = instanceIdFor(SOURCE, names[0] ?? '', eTags.get(names[0] ?? '') ?? '');
    const notBackfill = await backfillCli(['--attach', uploadRun]);
    expect(notBackfill.code).toBe(1);
    expect(notBackfill.stdout).toBe('');
    expect(notBackfill.stderr).toBe(
      `backfill: ${uploadRun} is not a backfill: it is an instance of "resizeImageOrchestrator"\n`,
    );
  });

  it('refuses a bad request with the field named', async () => {
    for (const [body, error] of [
      [{ sizes: ['huge'] }, 'unknown-sizes'],
      [{ only: 'everything' }, 'invalid-request'],
      [{ prefix: 'users/', colour: 'blue' }, 'invalid-request'],
      [{ sizes: 'xl' }, 'invalid-request'],
    ] as const) {
      const answer = await postBackfill(body);
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ error });
      expect(answer.json.message).toMatch(/^Expected .* for .* but received /);
    }
  });

  it('accepts one of many simultaneous overlapping requests; the others get 409 naming it', async () => {
    const prefixes = [PREFIX, `${PREFIX}0`, `${PREFIX}01`, '', `${PREFIX}`, `${PREFIX}0`, 'u', `${PREFIX}02`];
    const answers = await Promise.all(
      prefixes.map((prefix) => postBackfill({ prefix, sizes: ['thumb'], only: 'all' })),
    );
    const accepted = answers.filter((answer) => answer.status === 202);
    expect(accepted).toHaveLength(1);
    const winner = accepted[0]?.json.id as string;
    for (const answer of answers.filter((a) => a.status !== 202)) {
      expect(answer.status).toBe(409);
      expect(answer.json).toMatchObject({ error: 'backfill-running', running: { instanceId: winner } });
    }
    // `npm start -- --reconcile` while it runs: the reconcile waits for it to end, then starts.
    const lines: string[] = [];
    const reconciled = await reconcile(stack?.baseUrl ?? '', {
      pollMs: 200,
      log: (line) => lines.push(line),
    });
    const done = await status(winner);
    expect(done.runtimeStatus).toBe('Completed');
    expect(lines[0]).toBe(`devhost: reconcile waits for backfill ${winner} to end, then starts`);
    expect(lines[1]).toMatch(
      new RegExp(`^devhost: reconcile started: backfill ${reconciled ?? '-'} \\(only missing\\)`),
    );
    expect((await finished(reconciled ?? '')).runtimeStatus).toBe('Completed');
    // One run per image of the winner, none of any other request.
    const forWinner = new Set(
      names.map((name) => backfillRunInstanceId(winner, SOURCE, name, eTags.get(name) ?? '')),
    );
    const runsForThumb = (await allRunIds()).filter((id) => forWinner.has(id));
    expect(runsForThumb).toHaveLength(done.output?.started ?? -1);
  });

  it('starts a new size for an image whose upload run wrote its document and only waits on cleanup', async () => {
    if (!stack) throw new Error('no stack');
    const name = names[1] as string;
    // A new version replaces the document: its run then waits REPLACED_DERIVATIVES_GRACE_SECONDS (900) to delete
    // the old version's derivatives, in flight but done writing.
    const photo = await makePhoto({ width: 180, height: 100, format: 'png' });
    const uploaded = await uploadsThroughStack()
      .getBlockBlobClient(name)
      .uploadData(photo, { blobHTTPHeaders: { blobContentType: 'image/png' } });
    const eTag = uploaded.etag ?? '';
    eTags.set(name, eTag);
    const uploadRun = instanceIdFor(SOURCE, name, eTag);
    await waitFor('the upload run waiting on its cleanup', async () => {
      const response = await fetch(`${stack?.baseUrl}/runtime/webhooks/durabletask/instances/${uploadRun}`);
      if (response.status === 404) return undefined; // the event is not delivered yet
      const current = (await response.json()) as { customStatus: { stage?: string } | null };
      return current.customStatus?.stage === 'cleanup-pending' ? current : undefined;
    });
    // The document as it was before `xl` existed.
    const document = await readDocument(name);
    if (!document) throw new Error(`no document for ${name}`);
    await documents.items.upsert({
      ...document,
      variants: document.variants.filter((v) => v.label !== 'xl'),
    });

    const done = await finished((await postBackfill({ prefix: name, sizes: ['xl'] })).json.id as string);
    expect(done.output).toMatchObject({
      listed: 1,
      started: 1,
      skipped: 0,
      completed: 1,
      failed: 0,
      waiting: 0,
    });
    const after = await readDocument(name);
    expect(after?.variants.map((variant) => variant.label).sort()).toEqual(['medium', 'thumb', 'xl']);
    const xl = after?.variants.find((variant) => variant.label === 'xl');
    const bytes = await output.getBlobClient(xl?.blobName ?? '').downloadToBuffer();
    expect((await sharp(bytes).metadata()).width).toBe(96);
    expect((await status(uploadRun)).runtimeStatus).toBe('Running'); // still waiting on its timer
  });

  it('finishes after the host is stopped mid-backfill and started again: every image once, none missed', async () => {
    if (!stack) throw new Error('the previous test left no stack');
    const before = new Set(await allRunIds());
    const started = Date.now();
    const instanceId = (await postBackfill({ prefix: PREFIX, sizes: ['thumb'], only: 'all' })).json
      .id as string;
    await waitFor('a few runs started', async () => {
      const current = await status(instanceId);
      return (current.customStatus?.started ?? 0) >= 3 ? current : undefined;
    });
    await stack.stop();
    stack = await start(SIZES);
    // The operator re-attaches to the resumed backfill and follows it to its end.
    const attached = await backfillCli(['--attach', instanceId]);
    expect(attached.code, attached.stderr).toBe(0);
    expect(attached.stdout).toContain(`Backfill ${instanceId} attached; status: http`);
    expect(attached.stdout).toMatch(/completed: 10 listed, 10 started, 0 skipped, 10 completed, 0 failed\n$/);
    const done = await finished(instanceId);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toMatchObject({
      listed: IMAGE_COUNT,
      started: IMAGE_COUNT,
      skipped: 0,
      completed: IMAGE_COUNT,
      failed: 0,
    });

    // Exactly one run per image (the deterministic ids), each completed, and no other run started.
    const expected = names.map((name) =>
      backfillRunInstanceId(instanceId, SOURCE, name, eTags.get(name) ?? ''),
    );
    // Paged answers (3 per page here; 1,000 by default) are followed to the last page.
    const paged = await queryInstances<{ instanceId: string }>(
      `${stack.baseUrl}/runtime/webhooks/durabletask/instances?instanceIdPrefix=img-&top=3`,
    );
    const pagedRuns = paged.map((instance) => instance.instanceId).filter(isBackfillRunInstanceId);
    expect(pagedRuns.length).toBeGreaterThan(3);
    expect(pagedRuns.sort()).toEqual((await allRunIds()).sort());
    const created = (await allRunIds()).filter((id) => !before.has(id));
    expect(created.sort()).toEqual([...expected].sort());
    for (const id of expected) expect((await status(id)).runtimeStatus).toBe('Completed');
    // A version's derivatives are written once (names v2): each run finds its thumb and records it again.
    for (const name of names) {
      const document = await readDocument(name);
      const thumb = document?.variants.find((variant) => variant.label === 'thumb');
      expect(thumb?.width).toBeLessThanOrEqual(150);
      expect(thumb?.blobName.startsWith(`${name}/`)).toBe(true);
      expect(Date.parse(document?.updatedAt ?? '')).toBeGreaterThanOrEqual(started - 1000);
    }
  });
});
