import { describe, expect, it } from 'vitest';
import {
  DELETE_UNUSED_DERIVATIVES_FUNCTION,
  HAND_OFF_FUNCTION,
  ORCHESTRATOR_FUNCTION,
  resizeFunctionName,
  WRITE_DOCUMENT_FUNCTION,
} from '../../src/domain/functionNames';
import { instanceIdFor } from '../../src/domain/ids';
import type { ResizeOrchestrationInput, ResizeOutcome, SizeSpec } from '../../src/domain/types';
import { resizeImageOrchestrator } from '../../src/orchestrators/resizeImageOrchestrator';
import { activityCall, catOutcome as ok, catSource, defaultSizes, LEGACY_RETRY } from './support/fixtures';
import {
  episodeClock,
  failsEveryAttempt,
  HistoryBuilder,
  runEpisode,
  type HistoryEvent,
} from './support/replay';

const source = catSource;
const sizes = defaultSizes();
const input: ResizeOrchestrationInput = { source, sizes };
const instanceId = instanceIdFor(source.container, source.blobName, source.eTag);
const handler = resizeImageOrchestrator;

const RETRY = LEGACY_RETRY;

const [thumb, medium, large] = sizes as [SizeSpec, SizeSpec, SizeSpec];

function resizeAction(size: SizeSpec) {
  return activityCall(resizeFunctionName(size.label), RETRY, { source, size, instanceId });
}

function writeAction(outcomes: ResizeOutcome[]) {
  return activityCall(WRITE_DOCUMENT_FUNCTION, RETRY, { instanceId, source, outcomes });
}

const fanOut = { actionType: 12, compoundActions: sizes.map(resizeAction) };

/** History up to the fan-out being scheduled (task ids 0, 1, 2 in plan order). */
function scheduledFanOut(): HistoryBuilder {
  return new HistoryBuilder()
    .started(ORCHESTRATOR_FUNCTION, input)
    .episodeEnd(sizes.map((size, id) => [id, resizeFunctionName(size.label)]))
    .episode();
}

/** Every size succeeded (task ids 0, 1, 2) and the document write is scheduled as task 3. */
function writeScheduled(): HistoryBuilder {
  return scheduledFanOut()
    .completed(0, ok(thumb))
    .completed(1, ok(medium))
    .completed(2, ok(large))
    .episodeEnd([[3, WRITE_DOCUMENT_FUNCTION]])
    .episode();
}

async function run(history: readonly HistoryEvent[], orchestrator = handler) {
  return runEpisode(orchestrator, instanceId, input, history);
}

describe('resizeImageOrchestrator', () => {
  it('fans out one CallActivityWithRetry per size of the input plan in a single WhenAll', async () => {
    const result = await run(new HistoryBuilder().started(ORCHESTRATOR_FUNCTION, input).events);
    expect(result).toMatchObject({ ok: true });
    expect(result.state).toEqual({
      isDone: false,
      actions: [[fanOut]],
      customStatus: { stage: 'resizing', sizes: ['thumb', 'medium', 'large'] },
      schemaVersion: 1,
    });
  });

  it('all sizes succeed (in any order): writes the document with every outcome in plan order and completes', async () => {
    const history = scheduledFanOut()
      .completed(2, ok(large))
      .completed(0, ok(thumb))
      .completed(1, ok(medium));
    const writing = await run(history.events);
    const outcomes = [ok(thumb), ok(medium), ok(large)];
    expect(writing.state).toMatchObject({
      isDone: false,
      actions: [[fanOut, writeAction(outcomes)]],
      customStatus: { stage: 'writing-document', succeeded: ['thumb', 'medium', 'large'], failed: [] },
    });

    history.episodeEnd([[3, WRITE_DOCUMENT_FUNCTION]]).episode();
    history.completed(3, { ok: true, documentId: 'doc-1', status: 'completed', replacedVersion: false });
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { documentId: 'doc-1', status: 'completed', variants: 3, errors: [] },
      customStatus: { stage: 'done', status: 'completed' },
    });
  });

  it('a size with a permanent error outcome keeps the others; the writer gets the partial set', async () => {
    const corrupt: ResizeOutcome = {
      ok: false,
      label: 'thumb',
      variants: [],
      errors: [{ label: 'thumb', code: 'corrupt-image', message: 'Input buffer has corrupt header' }],
    };
    const history = scheduledFanOut().completed(0, corrupt).completed(1, ok(medium)).completed(2, ok(large));
    const writing = await run(history.events);
    expect(writing.state.actions).toEqual([[fanOut, writeAction([corrupt, ok(medium), ok(large)])]]);
    expect(writing.state.customStatus).toEqual({
      stage: 'writing-document',
      succeeded: ['medium', 'large'],
      failed: ['thumb'],
    });

    history.episodeEnd([[3, WRITE_DOCUMENT_FUNCTION]]).episode();
    history.completed(3, { ok: true, documentId: 'doc-1', status: 'partial' });
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { documentId: 'doc-1', status: 'partial', variants: 2, errors: corrupt.errors },
    });
  });

  /** Fails the thumb's task on every attempt: ids 0, then (timer, re-attempt) pairs 3/4, 5/6, 7/8, 9/10, last timer 11. */
  function thumbFailsEveryAttempt(history: HistoryBuilder): HistoryBuilder {
    const thumbActivity = {
      name: 'resize-thumb',
      attempts: RETRY.maxNumberOfAttempts,
      message: (attempt: number) => `blob service unavailable (attempt ${attempt})`,
    };
    failsEveryAttempt(history, thumbActivity, 0, 3);
    return history;
  }

  it('a size whose task still fails after every retry becomes an internal outcome; running sizes are awaited', async () => {
    const history = thumbFailsEveryAttempt(scheduledFanOut());
    // Task.all has failed, but medium and large are still running: nothing new is scheduled yet.
    const waiting = await run(history.events);
    expect(waiting.state).toMatchObject({ isDone: false, actions: [[fanOut]] });

    history.episodeEnd().episode().completed(1, ok(medium)).completed(2, ok(large));
    const writing = await run(history.events);
    const internal: ResizeOutcome = {
      ok: false,
      label: 'thumb',
      variants: [],
      errors: [
        {
          label: 'thumb',
          code: 'internal',
          message:
            "resize-thumb failed after retries: Activity function 'resize-thumb' failed: blob service unavailable (attempt 5)",
        },
      ],
    };
    expect(writing.state.actions).toEqual([[fanOut, writeAction([internal, ok(medium), ok(large)])]]);
    expect(writing.state.customStatus).toEqual({
      stage: 'writing-document',
      succeeded: ['medium', 'large'],
      failed: ['thumb'],
    });

    history.episodeEnd([[12, WRITE_DOCUMENT_FUNCTION]]).episode();
    history.completed(12, { ok: true, documentId: 'doc-1', status: 'partial' });
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { status: 'partial', variants: 2, errors: internal.errors },
      customStatus: { stage: 'done', status: 'partial' },
    });
  });

  it('a transient failure followed by the retry timer and a successful attempt completes', async () => {
    const history = scheduledFanOut()
      .failed(0, 'resize-thumb', 'ECONNRESET')
      .episodeEnd([], [3])
      .episode()
      .timerFired(3)
      .episodeEnd([[4, 'resize-thumb']])
      .episode()
      .completed(1, ok(medium))
      .completed(4, ok(thumb))
      .completed(2, ok(large));
    const writing = await run(history.events);
    expect(writing.state.actions).toEqual([[fanOut, writeAction([ok(thumb), ok(medium), ok(large)])]]);

    history.episodeEnd([[5, WRITE_DOCUMENT_FUNCTION]]).episode();
    history.completed(5, { ok: true, documentId: 'doc-1', status: 'completed' });
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { status: 'completed', variants: 3, errors: [] },
    });
  });

  it('replaying the same history twice gives identical state, and logs only in the new episode', async () => {
    const history = thumbFailsEveryAttempt(scheduledFanOut())
      .episodeEnd()
      .episode()
      .completed(1, ok(medium))
      .completed(2, ok(large))
      .episodeEnd([[12, WRITE_DOCUMENT_FUNCTION]])
      .episode()
      .completed(12, { ok: true, documentId: 'doc-1', status: 'partial' });
    const first = await run(history.events);
    const second = await run(history.events);
    expect(second.state).toEqual(first.state);
    expect(first.state.isDone).toBe(true);
    // Every earlier step is a replay: only the final episode's line is written.
    expect(first.logs).toHaveLength(1);
    expect(JSON.parse(first.logs[0] ?? '')).toEqual({
      msg: 'done',
      status: 'partial',
      variants: 2,
      blobName: 'users/42/cat.jpg',
      instanceId,
    });
  });

  const cleanupAction = activityCall(DELETE_UNUSED_DERIVATIVES_FUNCTION, RETRY, {
    container: source.container,
    blobName: source.blobName,
  });

  it('a write that replaced another version waits the grace period on a durable timer, then deletes the unused derivatives', async () => {
    const history = writeScheduled().completed(3, {
      ok: true,
      documentId: 'doc-1',
      status: 'completed',
      replacedVersion: true,
    });
    const waiting = await run(history.events);
    const fireAt = new Date(episodeClock(history) + 900_000).toISOString();
    expect(waiting.state).toMatchObject({
      isDone: false,
      customStatus: { stage: 'cleanup-pending', status: 'completed', cleanupAt: fireAt },
    });
    expect(waiting.state.actions[0]?.at(-1)).toEqual({ actionType: 5, fireAt, isCanceled: false });

    history.episodeEnd([], [4]).episode().timerFired(4);
    const cleaning = await run(history.events);
    expect(cleaning.state.actions[0]?.at(-1)).toEqual(cleanupAction);

    history
      .episodeEnd([[5, DELETE_UNUSED_DERIVATIVES_FUNCTION]])
      .episode()
      .completed(5, { deleted: 3, kept: 3 });
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { documentId: 'doc-1', status: 'completed', variants: 3, deletedDerivatives: 3 },
      customStatus: { stage: 'done', status: 'completed' },
    });
  });

  it('the grace period captured in the input is used, not a setting read during replay', async () => {
    const shortGrace = { ...input, replacedGraceSeconds: 5 };
    const history = new HistoryBuilder()
      .started(ORCHESTRATOR_FUNCTION, shortGrace)
      .episodeEnd(sizes.map((size, id) => [id, resizeFunctionName(size.label)]))
      .episode()
      .completed(0, ok(thumb))
      .completed(1, ok(medium))
      .completed(2, ok(large))
      .episodeEnd([[3, WRITE_DOCUMENT_FUNCTION]])
      .episode()
      .completed(3, { ok: true, documentId: 'doc-1', status: 'completed', replacedVersion: true });
    const waiting = await runEpisode(handler, instanceId, shortGrace, history.events);
    expect(waiting.state.actions[0]?.at(-1)).toEqual({
      actionType: 5,
      fireAt: new Date(episodeClock(history) + 5000).toISOString(),
      isCanceled: false,
    });
  });

  it('a first document (nothing replaced) completes without a timer', async () => {
    const history = writeScheduled().completed(3, {
      ok: true,
      documentId: 'doc-1',
      status: 'completed',
      replacedVersion: false,
    });
    const done = await run(history.events);
    expect(done.state).toMatchObject({ isDone: true, output: { status: 'completed' } });
  });

  it('a superseded run hands the source over to the instance of its current version, then cleans up after the grace', async () => {
    const history = writeScheduled().completed(3, { ok: false, documentId: 'doc-1', reason: 'superseded' });
    const handingOff = await run(history.events);
    expect(handingOff.state.actions[0]?.at(-1)).toEqual(
      activityCall(HAND_OFF_FUNCTION, RETRY, { orchestration: input }),
    );

    history
      .episodeEnd([[4, HAND_OFF_FUNCTION]])
      .episode()
      .completed(4, { ok: true, instanceId: 'img-current', started: true });
    const waiting = await run(history.events);
    expect(waiting.state).toMatchObject({
      isDone: false,
      customStatus: { stage: 'cleanup-pending', status: 'superseded' },
    });
    history.episodeEnd([], [5]).episode().timerFired(5);
    history
      .episodeEnd([[6, DELETE_UNUSED_DERIVATIVES_FUNCTION]])
      .episode()
      .completed(6, { deleted: 1, kept: 3 });
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: {
        status: 'superseded',
        documentId: 'doc-1',
        handedOffTo: 'img-current',
        deletedDerivatives: 1,
      },
    });
  });

  it('a run that finds its source deleted (a tombstone) deletes its derivatives at once, without a timer', async () => {
    const history = writeScheduled().completed(3, { ok: false, documentId: 'doc-1', reason: 'deleted' });
    const cleaning = await run(history.events);
    expect(cleaning.state.actions[0]?.at(-1)).toEqual(cleanupAction);
  });

  it('the writer failing after its retries fails the instance (a redelivered event may then restart it)', async () => {
    const history = writeScheduled();
    const writer = {
      name: WRITE_DOCUMENT_FUNCTION,
      attempts: RETRY.maxNumberOfAttempts,
      message: () => 'Cosmos 503',
    };
    failsEveryAttempt(history, writer, 3, 4);
    const result = await run(history.events);
    expect(result).toMatchObject({
      ok: false,
      error: expect.stringContaining("Activity function 'writeImageDocument' failed: Cosmos 503"),
    });
  });

  it('uses the plan in the input, not the current catalog', async () => {
    const square: SizeSpec = { label: 'square', width: 300, height: 300, fit: 'inside', formats: ['source'] };
    const custom: ResizeOrchestrationInput = { source, sizes: [square] };
    const result = await runEpisode(
      handler,
      instanceId,
      custom,
      new HistoryBuilder().started(ORCHESTRATOR_FUNCTION, custom).events,
    );
    expect(result.state.actions).toEqual([
      [
        {
          actionType: 12,
          compoundActions: [
            {
              functionName: 'resize-square',
              actionType: 1,
              retryOptions: RETRY,
              input: { source, size: square, instanceId },
            },
          ],
        },
      ],
    ]);
  });

  it.each([
    ['not {source, sizes}', { blob: 'x' }],
    ['an empty plan', { source, sizes: [] }],
  ])('an input that is %s fails the instance with a clear message', async (_case, bad) => {
    const result = await runEpisode(
      handler,
      instanceId,
      bad,
      new HistoryBuilder().started(ORCHESTRATOR_FUNCTION, bad).events,
    );
    expect(result).toMatchObject({
      ok: false,
      error: `Expected {source, sizes} with at least one size for the orchestration input but received ${JSON.stringify(bad)}`,
    });
  });
});
