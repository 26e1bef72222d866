import { HAND_OFF_FUNCTION } from '../../src/domain/functionNames';
import { describe, expect, it } from 'vitest';
import {
  ORCHESTRATOR_FUNCTION,
  resizeFunctionName,
  WRITE_DOCUMENT_FUNCTION,
} from '../../src/domain/functionNames';
import { instanceIdFor } from '../../src/domain/ids';
import type { ResizeOrchestrationInput, ResizeOutcome, SizeSpec } from '../../src/domain/types';
import { resizeImageOrchestrator } from '../../src/orchestrators/resizeImageOrchestrator';
import {
  activityCall,
  catOutcome as ok,
  catSource,
  mediumSpec,
  thumbSpec,
  TWO_ATTEMPTS,
} from './support/fixtures';
import {
  episodeClock,
  failsEveryAttempt,
  HistoryBuilder,
  runEpisode,
  type HistoryEvent,
} from './support/replay';

/**
 * Re-drive through durable-functions' own replay: a size whose transient retries ran out (`internal`) is run
 * again after each delay of the plan captured in the input, and only that size; permanent outcomes never are.
 */
const source = catSource;
const thumb = thumbSpec;
const medium = mediumSpec;
const sizes = [thumb, medium];
const TRANSIENT = TWO_ATTEMPTS;
const input: ResizeOrchestrationInput = {
  source,
  sizes,
  retry: { transient: TRANSIENT, redriveDelaysSeconds: [300, 900] },
};
const instanceId = instanceIdFor(source.container, source.blobName, source.eTag);
const handler = resizeImageOrchestrator;

function internal(size: SizeSpec, message: string): Extract<ResizeOutcome, { ok: false }> {
  const name = resizeFunctionName(size.label);
  return {
    ok: false,
    label: size.label,
    variants: [],
    errors: [
      {
        label: size.label,
        code: 'internal',
        message: `${name} failed after retries: Activity function '${name}' failed: ${message}`,
      },
    ],
  };
}

const resizeAction = (size: SizeSpec) =>
  activityCall(resizeFunctionName(size.label), TRANSIENT, { source, size, instanceId });
const writeAction = (outcomes: ResizeOutcome[]) =>
  activityCall(WRITE_DOCUMENT_FUNCTION, TRANSIENT, { instanceId, source, outcomes });
const fanOut = { actionType: 12, compoundActions: sizes.map(resizeAction) };

/** Fails `firstId` and every retry of one activity (2 attempts); returns the next free task id. */
function failsTwice(history: HistoryBuilder, name: string, firstId: number, nextFree: number): number {
  const activity = {
    name,
    attempts: TRANSIENT.maxNumberOfAttempts,
    message: (attempt: number) => `storage unavailable (attempt ${attempt})`,
  };
  return failsEveryAttempt(history, activity, firstId, nextFree);
}

async function run(history: readonly HistoryEvent[], start: ResizeOrchestrationInput = input) {
  return runEpisode(handler, instanceId, start, history);
}

/** thumb exhausts its retries (ids 0, 2/3, timer 4), medium succeeds (id 1), the first write is id 5. */
function firstRoundWithThumbExhausted(): HistoryBuilder {
  const history = new HistoryBuilder()
    .started(ORCHESTRATOR_FUNCTION, input)
    .episodeEnd([
      [0, 'resize-thumb'],
      [1, 'resize-medium'],
    ])
    .episode()
    .completed(1, ok(medium));
  expect(failsTwice(history, 'resize-thumb', 0, 2)).toBe(5);
  return history.episodeEnd([[5, WRITE_DOCUMENT_FUNCTION]]).episode();
}

/** thumb returns `thumbOutcome` (id 0), medium succeeds (id 1), the write (id 2) stores a partial document. */
function partialFirstRound(thumbOutcome: ResizeOutcome): HistoryBuilder {
  return new HistoryBuilder()
    .started(ORCHESTRATOR_FUNCTION, input)
    .episodeEnd([
      [0, 'resize-thumb'],
      [1, 'resize-medium'],
    ])
    .episode()
    .completed(0, thumbOutcome)
    .completed(1, ok(medium))
    .episodeEnd([[2, WRITE_DOCUMENT_FUNCTION]])
    .episode()
    .completed(2, { ok: true, documentId: 'doc-1', status: 'partial' });
}

const thumbInternal = internal(thumb, 'storage unavailable (attempt 2)');

describe('re-drive of sizes whose transient retries ran out', () => {
  it('writes the partial document, waits on a durable timer, re-runs only the failed size and rewrites the document', async () => {
    const history = firstRoundWithThumbExhausted().completed(5, {
      ok: true,
      documentId: 'doc-1',
      status: 'partial',
    });
    const waiting = await run(history.events);
    const retryAt = new Date(episodeClock(history) + 300_000).toISOString();
    expect(waiting.state).toMatchObject({
      isDone: false,
      actions: [
        [
          fanOut,
          writeAction([thumbInternal, ok(medium)]),
          { actionType: 5, fireAt: retryAt, isCanceled: false },
        ],
      ],
      customStatus: { stage: 'waiting-to-redrive', sizes: ['thumb'], round: 1, retryAt },
    });
    expect(waiting.logs.map((line) => JSON.parse(line) as { msg: string })).toContainEqual(
      expect.objectContaining({ msg: 're-drive scheduled', sizes: ['thumb'], round: 1, retryAt }),
    );

    history.episodeEnd([], [6]).episode().timerFired(6);
    const rerun = await run(history.events);
    // One WhenAll of the sizes being re-driven (here one), never the sizes that succeeded.
    expect(rerun.state.actions[0]?.slice(3)).toEqual([
      { actionType: 12, compoundActions: [resizeAction(thumb)] },
    ]);

    history
      .episodeEnd([[7, 'resize-thumb']])
      .episode()
      .completed(7, ok(thumb));
    const rewrite = await run(history.events);
    expect(rewrite.state.actions[0]?.slice(4)).toEqual([writeAction([ok(thumb), ok(medium)])]);

    history.episodeEnd([[8, WRITE_DOCUMENT_FUNCTION]]).episode();
    history.completed(8, { ok: true, documentId: 'doc-1', status: 'completed' });
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { documentId: 'doc-1', status: 'completed', variants: 2, errors: [] },
      customStatus: { stage: 'done', status: 'completed' },
    });
  });

  it('a size still failing waits for the next delay, and ends internal when the plan is spent', async () => {
    const history = firstRoundWithThumbExhausted()
      .completed(5, { ok: true, documentId: 'doc-1', status: 'partial' })
      .episodeEnd([], [6])
      .episode()
      .timerFired(6)
      .episodeEnd([[7, 'resize-thumb']])
      .episode();
    const nextId = failsTwice(history, 'resize-thumb', 7, 8);
    const second = await run(history.events);
    const retryAt = new Date(episodeClock(history) + 900_000).toISOString();
    // Nothing changed, so the document is not rewritten: the next action is round 2's timer.
    expect(second.state.actions[0]?.slice(4)).toEqual([
      { actionType: 5, fireAt: retryAt, isCanceled: false },
    ]);
    expect(second.state.customStatus).toEqual({
      stage: 'waiting-to-redrive',
      sizes: ['thumb'],
      round: 2,
      retryAt,
    });

    history
      .episodeEnd([], [nextId])
      .episode()
      .timerFired(nextId)
      .episodeEnd([[nextId + 1, 'resize-thumb']])
      .episode();
    failsTwice(history, 'resize-thumb', nextId + 1, nextId + 2);
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { status: 'partial', variants: 1, errors: thumbInternal.errors },
    });
    // Two rounds, one write (the first): every action after the fan-out and first write is a timer or thumb.
    const later = done.state.actions[0]?.slice(2) ?? [];
    expect(
      later.filter(
        (action) => (action as { functionName?: string }).functionName === WRITE_DOCUMENT_FUNCTION,
      ),
    ).toEqual([]);
  });

  it('never re-runs a permanent outcome: corrupt-image completes right after the first write', async () => {
    const corrupt: ResizeOutcome = {
      ok: false,
      label: 'thumb',
      variants: [],
      errors: [{ label: 'thumb', code: 'corrupt-image', message: 'premature end of data segment' }],
    };
    const history = partialFirstRound(corrupt);
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { status: 'partial', errors: corrupt.errors },
    });
    expect(done.state.actions).toEqual([[fanOut, writeAction([corrupt, ok(medium)])]]);
  });

  it('an internal outcome the activity returned itself (not a retry that ran out) is not re-driven', async () => {
    const returned: ResizeOutcome = {
      ok: false,
      label: 'thumb',
      variants: [],
      errors: [{ label: 'thumb', code: 'internal', message: 'render threw: unexpected libvips state' }],
    };
    const history = partialFirstRound(returned);
    expect((await run(history.events)).state.isDone).toBe(true);
  });

  it('stops when the document was not written: the source moved on, so the run hands it over, no re-drive', async () => {
    const history = firstRoundWithThumbExhausted().completed(5, {
      ok: false,
      documentId: 'doc-1',
      reason: 'superseded',
    });
    const next = await run(history.events);
    expect(next.state.isDone).toBe(false);
    expect(next.state.actions[0]?.at(-1)).toMatchObject({ functionName: HAND_OFF_FUNCTION });
  });

  it('an instance started without a retry plan (before re-drive existed) replays with no timer', async () => {
    const legacy: ResizeOrchestrationInput = { source, sizes };
    const history = new HistoryBuilder()
      .started(ORCHESTRATOR_FUNCTION, legacy)
      .episodeEnd([
        [0, 'resize-thumb'],
        [1, 'resize-medium'],
      ])
      .episode()
      .completed(1, ok(medium));
    // The legacy transient policy: 5 attempts (ids 0, 3/4, 5/6, 7/8, 9/10, last timer 11), then write id 12.
    const nextId = failsEveryAttempt(
      history,
      { name: 'resize-thumb', attempts: 5, message: () => 'down' },
      0,
      2,
    );
    history
      .episodeEnd([[nextId, WRITE_DOCUMENT_FUNCTION]])
      .episode()
      .completed(nextId, { ok: true, documentId: 'doc-1', status: 'partial' });
    const done = await run(history.events, legacy);
    expect(done.state).toMatchObject({ isDone: true, output: { status: 'partial' } });
  });

  it('an input whose retry plan is malformed fails the instance with a clear message', async () => {
    const bad = { source, sizes, retry: { transient: TRANSIENT, redriveDelaysSeconds: ['soon'] } };
    const result = await runEpisode(
      handler,
      instanceId,
      bad,
      new HistoryBuilder().started(ORCHESTRATOR_FUNCTION, bad).events,
    );
    expect(result).toMatchObject({ ok: false, error: expect.stringContaining('Expected {source, sizes}') });
  });
});
