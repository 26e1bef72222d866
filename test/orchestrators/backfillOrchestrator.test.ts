import { describe, expect, it } from 'vitest';
import { backfillRunInstanceId, legacyBackfillRunInstanceId, NO_PROGRESS } from '../../src/domain/backfill';
import { instanceIdFor } from '../../src/domain/ids';
import {
  CHECK_BACKFILL_RUNS_FUNCTION,
  LIST_SOURCE_PAGE_FUNCTION,
  START_BACKFILL_RUNS_FUNCTION,
} from '../../src/domain/functionNames';
import { backfillOrchestrator, type BackfillState } from '../../src/orchestrators/backfillOrchestrator';
import { HistoryBuilder, runEpisode } from './support/replay';

const instanceId = 'backfill-test1';
const blob = (name: string) => ({ name, eTag: `"0x${name}"`, contentLength: 100, contentType: 'image/png' });
const first: BackfillState = {
  container: 'images-unprocessed',
  request: {
    prefix: 'users/',
    sizes: [{ label: 'xl', width: 2048, height: 2048, fit: 'inside', formats: ['source'] }],
    only: 'missing',
  },
  maxInFlight: 1,
  pageSize: 2,
  pollSeconds: 5,
  listingDone: false,
  pending: [],
  inFlight: [],
  progress: { ...NO_PROGRESS },
  execution: 1,
};

type Action = { actionType: number; functionName?: string; input?: unknown; fireAt?: string };
const flat = (actions: unknown[][]) => actions.flat() as Action[];

/**
 * One page with one poll: the listing (task 0) answers `listing`; then a start (1), the poll timer (2), a check
 * (3) and a second start (4) answer with the per-blob codes `codes` (start, check, start).
 */
function onePoll(
  state: BackfillState,
  listing: unknown,
  codes: [start: string, check: string, next: string],
): HistoryBuilder {
  return new HistoryBuilder()
    .started('backfillOrchestrator', state)
    .episodeEnd([[0, LIST_SOURCE_PAGE_FUNCTION]])
    .episode()
    .completed(0, listing)
    .episodeEnd([[1, START_BACKFILL_RUNS_FUNCTION]])
    .episode()
    .completed(1, { codes: codes[0] })
    .episodeEnd([], [2])
    .episode()
    .timerFired(2)
    .episodeEnd([[3, CHECK_BACKFILL_RUNS_FUNCTION]])
    .episode()
    .completed(3, { codes: codes[1] })
    .episodeEnd([[4, START_BACKFILL_RUNS_FUNCTION]])
    .episode()
    .completed(4, { codes: codes[2] });
}

describe('backfillOrchestrator replayed through durable-functions', () => {
  it('lists, starts within the in-flight bound, polls, and continues as new between pages', async () => {
    const a = blob('users/a.png');
    const b = blob('users/b.png');
    const history = onePoll(first, { blobs: [a, b], continuationToken: 'page-2' }, ['s', 'c', 'u']);

    // Replaying the whole first execution: with one slot, b waits until a is over; then the page is done.
    const replayed = await runEpisode(backfillOrchestrator, instanceId, first, history.events);
    expect(replayed.ok).toBe(true);
    const actions = flat(replayed.state.actions);
    const names = actions.map((action) => action.functionName ?? action.actionType);
    expect(names).toEqual([
      LIST_SOURCE_PAGE_FUNCTION,
      START_BACKFILL_RUNS_FUNCTION,
      5, // CreateTimer: the poll while the only slot is taken
      CHECK_BACKFILL_RUNS_FUNCTION,
      START_BACKFILL_RUNS_FUNCTION,
      4, // ContinueAsNew: the next page starts a fresh history
    ]);
    expect(actions[1]?.input).toMatchObject({ blobs: [a], backfillInstanceId: instanceId });
    // The check asks for the run's deterministic id, computed by the orchestration itself: this history's
    // results predate `waits`, so the run has the `bf-` id of that time.
    expect(actions[3]?.input).toEqual({
      instanceIds: [legacyBackfillRunInstanceId(instanceId, first.container, a.name, a.eTag)],
    });
    expect(actions[4]?.input).toMatchObject({ blobs: [b] });
    const carried = actions[5]?.input as BackfillState;
    expect(carried).toMatchObject({
      continuationToken: 'page-2',
      listingDone: false,
      pending: [],
      inFlight: [],
      execution: 2,
      progress: { listed: 2, started: 1, skipped: 1, completed: 1, failed: 0, waiting: 0 },
    });
    expect(replayed.state.customStatus).toEqual({
      listed: 2,
      started: 1,
      skipped: 1,
      completed: 1,
      failed: 0,
      waiting: 0,
    });

    // The second execution starts from the carried state alone: it lists from the token and finishes.
    const second = new HistoryBuilder()
      .started('backfillOrchestrator', carried)
      .episodeEnd([[0, LIST_SOURCE_PAGE_FUNCTION]])
      .episode()
      .completed(0, { blobs: [] });
    const end = await runEpisode(backfillOrchestrator, instanceId, carried, second.events);
    expect(end.ok).toBe(true);
    expect(flat(end.state.actions)[0]?.input).toMatchObject({ continuationToken: 'page-2', pageSize: 2 });
    expect(end.state.isDone).toBe(true);
    expect(end.state.output).toEqual({
      listed: 2,
      started: 1,
      skipped: 1,
      completed: 1,
      failed: 0,
      waiting: 0,
      executions: 2,
    });
  });

  it('waits for an upload run that will write the sizes, then decides the blob again (never "skipped")', async () => {
    const a = blob('users/a.png');
    const state: BackfillState = { ...first, maxInFlight: 4 };
    const uploadRun = instanceIdFor(state.container, a.name, a.eTag);
    const history = onePoll(state, { blobs: [a] }, ['w', 'c', 's']);
    const replayed = await runEpisode(backfillOrchestrator, instanceId, state, history.events);
    expect(replayed.ok).toBe(true);
    const actions = flat(replayed.state.actions);
    expect(actions[3]?.input).toEqual({ instanceIds: [uploadRun] });
    // The upload's run ended (its plan lacked nothing, but its result is checked afresh): a is decided again.
    expect(actions[4]?.input).toMatchObject({ blobs: [a] });
    expect(replayed.state.customStatus).toEqual({
      listed: 1,
      started: 1,
      skipped: 0,
      completed: 0,
      failed: 0,
      waiting: 0,
    });
  });

  it('follows the runs a result names: its own under the version id, and any run of the version it waits for', async () => {
    const a = blob('users/a.png');
    const b = blob('users/b.png');
    const state: BackfillState = { ...first, maxInFlight: 4 };
    const reprocessRun = `${instanceIdFor(state.container, b.name, b.eTag)}-rmk1abc123`;
    const history = new HistoryBuilder()
      .started('backfillOrchestrator', state)
      .episodeEnd([[0, LIST_SOURCE_PAGE_FUNCTION]])
      .episode()
      .completed(0, { blobs: [a, b] })
      .episodeEnd([[1, START_BACKFILL_RUNS_FUNCTION]])
      .episode()
      .completed(1, { codes: 'sw', waits: [reprocessRun] })
      .episodeEnd([], [2])
      .episode()
      .timerFired(2);
    const replayed = await runEpisode(backfillOrchestrator, instanceId, state, history.events);
    expect(replayed.ok).toBe(true);
    const actions = flat(replayed.state.actions);
    const ownRun = backfillRunInstanceId(instanceId, state.container, a.name, a.eTag);
    expect(ownRun.startsWith(instanceIdFor(state.container, a.name, a.eTag))).toBe(true);
    expect(actions[3]?.input).toEqual({ instanceIds: [ownRun, reprocessRun] });
    expect(replayed.state.customStatus).toMatchObject({ started: 1, waiting: 1, skipped: 0 });
  });

  it('fails the instance with the field named when the state is not a BackfillState', async () => {
    const history = new HistoryBuilder().started('backfillOrchestrator', { request: {} });
    const result = await runEpisode(backfillOrchestrator, instanceId, { request: {} }, history.events);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('Expected a BackfillState for the backfill state');
  });
});
