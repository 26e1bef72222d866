import type { HttpRequest, HttpResponse, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { OrchestrationRuntimeStatus } from 'durable-functions';
import { randomBytes } from 'node:crypto';
import { requireOperator } from '../auth/caller';
import { findAppRoot, readDurableHostConfig } from '../config/hostConfig';
import { getSettings, type Settings } from '../config/settings';
import {
  BACKFILL_INSTANCE_PREFIX,
  NO_PROGRESS,
  prefixesOverlap,
  type BackfillProgress,
} from '../domain/backfill';
import { BACKFILL_HTTP_FUNCTION, BACKFILL_ORCHESTRATOR } from '../domain/functionNames';
import { invocationLogger } from '../logging';
import type { BackfillState } from '../orchestrators/backfillOrchestrator';
import { getImagesBlobService } from '../storage/blobServiceClient';
import { LeaseLostError, LockBusyError, withBlobLease, type LeaseHeld } from '../storage/blobLease';
import { parseBackfillRequest } from './http/backfillRequest';
import { refuseCrossSite } from './http/crossSite';
import { instanceLinks } from './http/instanceLinks';
import { listInstancesByPrefix } from './instanceStatus';
import { jsonError } from './http/jsonResponses';

export type BackfillClient = Pick<DurableClient, 'startNew' | 'createHttpManagementPayload'>;

/**
 * Runs `section` alone across every instance of the app (the overlap check and the start); `held` throws
 * `LeaseLostError` once the lock is no longer this section's, so the start is never made without it.
 */
export type StartLock = <T>(section: (held: LeaseHeld) => Promise<T>) => Promise<T>;

/** The lock blob in the scratch container (private, app-only; recreated if its lifecycle rule removes it). */
export const BACKFILL_LOCK_BLOB = 'locks/backfill-start';

export interface BackfillHttpDeps {
  settings: Settings;
  /** host.json `maxConcurrentActivityFunctions` as the host applies it. */
  activityConcurrency: number;
  /** App Service authentication in front of the app (default: read from the platform's settings). */
  authEnabled?: boolean;
  /** Default: a lease on `BACKFILL_LOCK_BLOB` (src/storage/blobLease.ts). */
  lock?: StartLock;
}

/**
 * Default `BACKFILL_MAX_IN_FLIGHT`: twice one worker's activity slots. A backfill run of one size is one resize
 * activity, so this keeps every slot busy while finished runs write their documents and the backfill polls,
 * yet leaves at most one backfill batch queued ahead of a live upload's activities. A scaled-out app (N
 * instances) sets it to about 2 x slots x N; docs/scale.md sizes it.
 */
export function defaultBackfillMaxInFlight(activityConcurrency: number): number {
  return 2 * activityConcurrency;
}

function productionDeps(): BackfillHttpDeps {
  return {
    settings: getSettings(),
    activityConcurrency: readDurableHostConfig(findAppRoot()).maxConcurrentActivityFunctions,
  };
}

const ACTIVE_STATUSES = [
  OrchestrationRuntimeStatus.Pending,
  OrchestrationRuntimeStatus.Running,
  OrchestrationRuntimeStatus.ContinuedAsNew,
  OrchestrationRuntimeStatus.Suspended,
];

/** A running backfill as `GET /api/backfill` and the 409 describe it. */
export interface RunningBackfill {
  instanceId: string;
  runtimeStatus: string;
  prefix: string;
  sizes: string[];
  only: string;
  progress: BackfillProgress;
  createdTime: string;
}

function describe(status: DurableOrchestrationStatus): RunningBackfill | undefined {
  const state = status.input as Partial<BackfillState> | undefined;
  const request = state?.request;
  if (request === undefined || typeof request.prefix !== 'string') return undefined;
  const progress =
    (status.customStatus as BackfillProgress | null | undefined) ?? state?.progress ?? NO_PROGRESS;
  return {
    instanceId: status.instanceId,
    runtimeStatus: status.runtimeStatus,
    prefix: request.prefix,
    sizes: request.sizes.map((size) => size.label),
    only: request.only,
    progress,
    createdTime: new Date(status.createdTime).toISOString(),
  };
}

/**
 * Backfills not yet ended (any prefix). Only ids starting `backfill-` are asked for: the task hub also holds
 * one instance per upload (about 90,000 a quarter of an hour at 100 uploads/s), which a status-only filter
 * would return on every request.
 */
export async function runningBackfills(
  client: Pick<DurableClient, 'createHttpManagementPayload'>,
): Promise<RunningBackfill[]> {
  const statuses = await listInstancesByPrefix(client, {
    instanceIdPrefix: BACKFILL_INSTANCE_PREFIX,
    runtimeStatus: ACTIVE_STATUSES,
    showInput: true,
  });
  return statuses
    .filter((status) => status.name === BACKFILL_ORCHESTRATOR)
    .map(describe)
    .filter((backfill): backfill is RunningBackfill => backfill !== undefined);
}

function leaseLock(settings: Settings): StartLock {
  return (section) =>
    withBlobLease(getImagesBlobService(), settings.scratchContainer, BACKFILL_LOCK_BLOB, section);
}

function initialState(
  settings: Settings,
  request: BackfillState['request'],
  activityConcurrency: number,
): BackfillState {
  return {
    container: settings.unprocessedContainer,
    request,
    maxInFlight: settings.backfill.maxInFlight ?? defaultBackfillMaxInFlight(activityConcurrency),
    pageSize: settings.backfill.pageSize,
    pollSeconds: settings.backfill.pollSeconds,
    listingDone: false,
    pending: [],
    inFlight: [],
    progress: { ...NO_PROGRESS },
    execution: 1,
  };
}

/** A fresh id per backfill: two backfills of the same prefix over time must not share run ids. */
export function newBackfillInstanceId(now = Date.now()): string {
  return `${BACKFILL_INSTANCE_PREFIX}${now.toString(36)}${randomBytes(4).toString('hex')}`;
}

async function readJsonBody(request: HttpRequest): Promise<{ ok: true; body: unknown } | { ok: false }> {
  const text = await request.text();
  if (text.trim() === '') return { ok: true, body: undefined };
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * `POST /api/backfill` `{prefix?, sizes?, only?}` → 202 `{ id, statusUrl, historyUrl }` (the app's own instance
 * endpoint, never the Durable system key; custom status: `{listed, started, skipped, completed, failed, waiting}`);
 * 400 for a bad body; 409 naming the running backfill whose prefix overlaps (decided under a lease, so concurrent
 * requests on any instance cannot both pass). Refused rather than joined: the running one has its own sizes and
 * mode, and two backfills
 * over the same images would each start a run per image (the same version processed twice).
 * `GET /api/backfill` → 200 `{running: RunningBackfill[]}` with each one's `statusUrl` and `historyUrl`.
 */
export function createBackfillHandler(deps: () => BackfillHttpDeps = productionDeps) {
  return async (
    request: HttpRequest,
    client: BackfillClient,
    context: InvocationContext,
  ): Promise<HttpResponseInit | HttpResponse> => {
    const { settings, activityConcurrency, authEnabled, lock } = deps();
    const operator = requireOperator(request, settings.site, authEnabled);
    if ('response' in operator) return operator.response;
    if (request.method === 'GET') {
      const running = await runningBackfills(client);
      return {
        status: 200,
        jsonBody: {
          running: running.map((backfill) => ({
            ...backfill,
            ...instanceLinks(request, backfill.instanceId),
          })),
        },
      };
    }
    const crossSite = refuseCrossSite(request, settings.site.siteOrigins, { jsonBody: 'optional' });
    if (crossSite) return crossSite;
    const body = await readJsonBody(request);
    if (!body.ok)
      return jsonError(
        400,
        'invalid-request',
        'Expected a JSON body for the request but received invalid JSON',
      );
    const parsed = parseBackfillRequest(body.body, settings.sizes);
    if (!parsed.ok) {
      return jsonError(400, parsed.code, parsed.message, {
        ...(parsed.unknown ? { unknown: parsed.unknown } : {}),
        known: settings.sizes.map((size) => size.label),
      });
    }
    const { request: backfill } = parsed;
    // Check-then-start under one lock for every instance of the app: two requests in the same instant are
    // serialized, so the second sees the first's instance and is refused.
    const section = async (held: LeaseHeld) => {
      const overlapping = (await runningBackfills(client)).find((running) =>
        prefixesOverlap(running.prefix, backfill.prefix),
      );
      if (overlapping) return { refused: true as const, overlapping };
      const state = initialState(settings, backfill, activityConcurrency);
      const instanceId = newBackfillInstanceId();
      held(); // the overlap check above is only true while no other start can run
      await client.startNew(BACKFILL_ORCHESTRATOR, { instanceId, input: state });
      return { refused: false as const, instanceId, state };
    };
    let decided: Awaited<ReturnType<typeof section>>;
    try {
      decided = await (lock ?? leaseLock(settings))(section);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        // The check took longer than the lock lasted: nothing was started; the caller may simply retry.
        return {
          status: 503,
          headers: { 'Retry-After': '5' },
          jsonBody: { error: 'backfill-lock-lost', message: error.message },
        };
      }
      if (!(error instanceof LockBusyError)) throw error;
      // Another start held the lock the whole time (or died holding it: the lease expires in 15 s).
      return {
        status: 503,
        headers: { 'Retry-After': '5' },
        jsonBody: { error: 'backfill-lock-busy', message: error.message },
      };
    }
    if (decided.refused) {
      const { overlapping } = decided;
      return jsonError(
        409,
        'backfill-running',
        `Backfill ${overlapping.instanceId} (prefix ${JSON.stringify(overlapping.prefix)}) is still running over ` +
          `the same blobs; wait for it or terminate it`,
        { running: { ...overlapping, ...instanceLinks(request, overlapping.instanceId) } },
      );
    }
    const { instanceId, state } = decided;
    invocationLogger(context, { blobName: backfill.prefix, instanceId }).info('backfill started', {
      sizes: backfill.sizes.map((size) => size.label),
      only: backfill.only,
      maxInFlight: state.maxInFlight,
    });
    // The app's own operator-checked instance endpoint: the Durable management URLs carry the system key.
    const links = instanceLinks(request, instanceId);
    return {
      status: 202,
      headers: { location: links.statusUrl, 'cache-control': 'no-store' },
      jsonBody: { id: instanceId, ...links },
    };
  };
}

export const backfill = createBackfillHandler();

// Anonymous at the host, operators only in the handler, as for reprocess (the console calls it from the browser,
// which holds no function key): a backfill spends a lot of compute.
df.app.client.http(BACKFILL_HTTP_FUNCTION, {
  route: 'backfill',
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  handler: backfill,
});
