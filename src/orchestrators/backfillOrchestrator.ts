import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { CheckRunsInput, CheckRunsResult } from '../activities/backfill/checkRuns';
import type { StartRunsInput, StartRunsResult } from '../activities/backfill/startRuns';
import type { ListSourcePageInput } from '../activities/listSourcePage';
import {
  BACKFILL_MODES,
  backfillRunInstanceId,
  legacyBackfillRunInstanceId,
  type BackfillProgress,
  type BackfillRequest,
  type ListedBlob,
} from '../domain/backfill';
import { ArgumentError } from '../domain/errors';
import { instanceIdFor } from '../domain/ids';
import {
  BACKFILL_ORCHESTRATOR,
  CHECK_BACKFILL_RUNS_FUNCTION,
  LIST_SOURCE_PAGE_FUNCTION,
  START_BACKFILL_RUNS_FUNCTION,
} from '../domain/functionNames';
import type { ListingPage } from '../storage/sourceListing';
import { invocationLogger } from '../logging';
import { transientRetryOptions } from './retryPolicy';

/**
 * The backfill's whole state. It is the orchestration's input and is handed to `continueAsNew`, so each
 * execution's history holds one listing page and a bounded number of steps, whatever the container's size.
 */
export interface BackfillState {
  container: string;
  request: BackfillRequest;
  /** Runs in flight at most (`BACKFILL_MAX_IN_FLIGHT`). */
  maxInFlight: number;
  /** Blobs per List Blobs call. */
  pageSize: number;
  /** Seconds between two checks of the runs in flight. */
  pollSeconds: number;
  /** Where the next listing page starts; undefined with `listingDone` false: the first page. */
  continuationToken?: string;
  listingDone: boolean;
  /** Listed blobs of the current page not yet decided. */
  pending: ListedBlob[];
  /**
   * Runs the backfill watches: its own started runs, and (with `recheck`) an upload's run that will write the
   * requested sizes of `recheck`, which is decided again once that run is over.
   */
  inFlight: InFlightRun[];
  progress: BackfillProgress;
  /** Executions so far (1 for the first): how many times the state was carried over. */
  execution: number;
}

export interface InFlightRun {
  instanceId: string;
  recheck?: ListedBlob;
}

/** The orchestration's output: the final counters. */
export type BackfillSummary = BackfillProgress & { executions: number };

/**
 * Activity calls (listing, starting, checking) one execution makes before it continues as new: about six
 * history events each, so an execution's history stays near 300 events however long the backfill runs.
 */
export const MAX_STEPS_PER_EXECUTION = 50;

/**
 * Run ids (about 37 bytes each in a check's input) one execution may send before it continues as new, so its
 * history stays near 400 KB even with thousands in flight: 50 steps at 200 in flight, 5 at 2,000.
 */
export const MAX_IDS_PER_EXECUTION = 10_000;

/** Steps one execution makes: `MAX_STEPS_PER_EXECUTION`, fewer when many runs are in flight (at least 4). */
export function stepsPerExecution(maxInFlight: number): number {
  return Math.max(4, Math.min(MAX_STEPS_PER_EXECUTION, Math.floor(MAX_IDS_PER_EXECUTION / maxInFlight)));
}

type Steps<T> = Generator<Task, T, unknown>;

function isState(value: unknown): value is BackfillState {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Partial<BackfillState>;
  const request = state.request as Partial<BackfillRequest> | undefined;
  return (
    typeof state.container === 'string' &&
    typeof request === 'object' &&
    typeof request.prefix === 'string' &&
    Array.isArray(request.sizes) &&
    request.sizes.length > 0 &&
    BACKFILL_MODES.includes(request.only as never) &&
    typeof state.maxInFlight === 'number' &&
    state.maxInFlight >= 1 &&
    typeof state.pageSize === 'number' &&
    typeof state.pollSeconds === 'number' &&
    typeof state.listingDone === 'boolean' &&
    Array.isArray(state.pending) &&
    Array.isArray(state.inFlight) &&
    typeof state.progress === 'object' &&
    typeof state.execution === 'number'
  );
}

/**
 * Lists the source container page by page and starts, for each image the decision rule picks
 * (src/domain/backfill.ts), a `resizeImageOrchestrator` instance for just the sizes it needs, with at most
 * `maxInFlight` of them working at once. Runs are separate instances started by an activity (not
 * sub-orchestrations): a run that waits after its document is written (cleanup grace timers) would otherwise
 * hold a slot, and the deterministic run id makes the start idempotent. Pure scheduling code.
 */
export function* backfillOrchestrator(context: OrchestrationContext): Steps<BackfillSummary> {
  const input: unknown = context.df.getInput();
  if (!isState(input)) throw new ArgumentError('the backfill state', 'a BackfillState', input);
  const state: BackfillState = {
    ...input,
    pending: [...input.pending],
    inFlight: [...input.inFlight],
    // `waiting` is newer than the first states: an older state continues with 0.
    progress: { ...input.progress, waiting: input.progress.waiting ?? 0 },
  };
  const { request } = state;
  const backfillInstanceId = context.df.instanceId;
  const log = invocationLogger(context, { blobName: request.prefix, instanceId: backfillInstanceId });
  const retry = transientRetryOptions();
  const publish = () => context.df.setCustomStatus(state.progress);
  publish();

  const maxSteps = stepsPerExecution(state.maxInFlight);
  for (let steps = 0; ; steps++) {
    const done = state.listingDone && state.pending.length === 0 && state.inFlight.length === 0;
    if (done) break;
    // Between pages, and after a bounded number of steps, the history starts afresh.
    const needsPage = state.pending.length === 0 && !state.listingDone;
    if (steps >= maxSteps || (needsPage && steps > 0)) {
      context.df.continueAsNew({ ...state, execution: state.execution + 1 } satisfies BackfillState);
      return { ...state.progress, executions: state.execution };
    }

    if (needsPage) {
      const page = (yield context.df.callActivityWithRetry(LIST_SOURCE_PAGE_FUNCTION, retry, {
        container: state.container,
        prefix: request.prefix,
        pageSize: state.pageSize,
        ...(state.continuationToken !== undefined ? { continuationToken: state.continuationToken } : {}),
      } satisfies ListSourcePageInput)) as ListingPage;
      state.pending = page.blobs;
      state.progress.listed += page.blobs.length;
      if (page.continuationToken === undefined) {
        delete state.continuationToken;
        state.listingDone = true;
      } else {
        state.continuationToken = page.continuationToken;
      }
      publish();
      continue;
    }

    const free = state.maxInFlight - state.inFlight.length;
    if (state.pending.length > 0 && free > 0) {
      const batch = state.pending.splice(0, free);
      const { codes, waits } = (yield context.df.callActivityWithRetry(START_BACKFILL_RUNS_FUNCTION, retry, {
        backfillInstanceId,
        container: state.container,
        only: request.only,
        sizes: request.sizes,
        blobs: batch,
      } satisfies StartRunsInput)) as StartRunsResult;
      // A result recorded before `waits` existed names runs by the ids of that time (see StartRunsResult).
      const runId = waits === undefined ? legacyBackfillRunInstanceId : backfillRunInstanceId;
      let waited = 0;
      batch.forEach((blob, index) => {
        const code = codes[index];
        if (code === 's') {
          const instanceId = runId(backfillInstanceId, state.container, blob.name, blob.eTag);
          state.inFlight.push({ instanceId });
          state.progress.started += 1;
        } else if (code === 'w') {
          // Another run of this version will write the sizes: watch it, then decide this blob again.
          const instanceId = waits?.[waited++] ?? instanceIdFor(state.container, blob.name, blob.eTag);
          state.inFlight.push({ instanceId, recheck: blob });
          state.progress.waiting += 1;
        } else if (code === 'u') {
          state.progress.skipped += 1;
        } else {
          throw new ArgumentError(`startBackfillRuns' code for ${blob.name}`, 's, u or w', code);
        }
      });
      publish();
      continue;
    }

    // Every slot is taken (or nothing is left to start): wait, then see which runs are over.
    yield context.df.createTimer(
      new Date(context.df.currentUtcDateTime.getTime() + state.pollSeconds * 1000),
    );
    const { codes } = (yield context.df.callActivityWithRetry(CHECK_BACKFILL_RUNS_FUNCTION, retry, {
      instanceIds: state.inFlight.map((run) => run.instanceId),
    } satisfies CheckRunsInput)) as CheckRunsResult;
    const stillRunning: InFlightRun[] = [];
    state.inFlight.forEach((run, index) => {
      const code = codes[index];
      if (code === 'r') stillRunning.push(run);
      else if (run.recheck !== undefined) {
        // The upload's run is over (whatever its result): the blob goes back to be decided afresh.
        state.pending.push(run.recheck);
        state.progress.waiting -= 1;
      } else if (code === 'f') state.progress.failed += 1;
      else if (code === 'c') state.progress.completed += 1;
      else throw new ArgumentError(`checkBackfillRuns' code for ${run.instanceId}`, 'r, c or f', code);
    });
    state.inFlight = stillRunning;
    publish();
  }

  if (!context.df.isReplaying) log.info('backfill done', { ...state.progress, executions: state.execution });
  return { ...state.progress, executions: state.execution };
}

df.app.orchestration(BACKFILL_ORCHESTRATOR, backfillOrchestrator);
