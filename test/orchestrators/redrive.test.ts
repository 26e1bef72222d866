import { HAND_OFF_FUNCTION } from '../../src/domain/functionNames';
import { describe, expect, it } from 'vitest';
import {
  ORCHESTRATOR_FUNCTION,
  resizeFunctionName,
  WRITE_DOCUMENT_FUNCTION,
} from '../../src/domain/functionNames';
import { instanceIdFor } from '../../src/domain/ids';
import type { ResizeOrchestrationInput, ResizeOutcome, SizeSpec, SourceRef } from '../../src/domain/types';
import { resizeImageOrchestrator } from '../../src/orchestrators/resizeImageOrchestrator';
import { EventType, HistoryBuilder, runEpisode, type HistoryEvent } from './support/replay';

/**
 * Re-drive through durable-functions' own replay: a size whose transient retries ran out (`internal`) is run
 * again after each delay of the plan captured in the input, and only that size; permanent outcomes never are.
 */
const source: SourceRef = {
  container: 'images-unprocessed',
  blobName: 'users/42/cat.jpg',
  eTag: '"0x8DCAFE0001"',
  sequencer: '00000000000000000000000000000001',
  contentLength: 48213,
  contentType: 'image/jpeg',
};
const thumb = {
  label: 'thumb',
  width: 150,
  height: 150,
  fit: 'inside',
  formats: ['source'],
} satisfies SizeSpec;
const medium = {
  label: 'medium',
  width: 640,
  height: 640,
  fit: 'inside',
  formats: ['source'],
} satisfies SizeSpec;
const sizes = [thumb, medium];
const TRANSIENT = {
  firstRetryIntervalInMilliseconds: 1000,
  maxNumberOfAttempts: 2,
  backoffCoefficient: 1,
  maxRetryIntervalInMilliseconds: 1000,
};
const input: ResizeOrchestrationInput = {
  source,
  sizes,
  retry: { transient: TRANSIENT, redriveDelaysSeconds: [300, 900] },
};
const instanceId = instanceIdFor(source.container, source.blobName, source.eTag);
const handler = resizeImageOrchestrator;

function ok(size: typeof thumb | typeof medium): ResizeOutcome {
  return {
    ok: true,
    label: size.label,
    variants: [
      {
        label: size.label,
        width: size.width,
        height: Math.round((size.width * 3) / 4),
        contentType: 'image/jpeg',
        format: 'jpeg',
        blobName: `users/42/cat_${size.label}.jpg`,
        url: `http://127.0.0.1:10000/devstoreaccount1/images-processed/users/42/cat_${size.label}.jpg`,
        sizeBytes: 1000 + size.width,
        eTag: `"0x8D${size.label}"`,
        lastModified: '2026-11-24T04:00:05.000Z',
        createdAt: '2026-11-24T04:00:05.000Z',
      },
    ],
    errors: [],
    source: { format: 'JPEG', width: 1600, height: 1200, length: 48213, contentType: 'image/jpeg' },
  };
}

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

const resizeAction = (size: SizeSpec) => ({
  functionName: resizeFunctionName(size.label),
  actionType: 1,
  retryOptions: TRANSIENT,
  input: { source, size, instanceId },
});
const writeAction = (outcomes: ResizeOutcome[]) => ({
  functionName: WRITE_DOCUMENT_FUNCTION,
  actionType: 1,
  retryOptions: TRANSIENT,
  input: { instanceId, source, outcomes },
});
const fanOut = { actionType: 12, compoundActions: sizes.map(resizeAction) };

/** The time the orchestrator sees: the timestamp of the last OrchestratorStarted in the history. */
function currentUtc(history: HistoryBuilder): number {
  const started = history.events.filter((event) => event.EventType === EventType.OrchestratorStarted).at(-1);
  return Date.parse(String(started?.Timestamp));
}

/** Fails `attemptId` and every retry of one activity; returns the next free task id. */
function failsEveryAttempt(history: HistoryBuilder, name: string, firstId: number, nextFree: number): number {
  let attemptId = firstId;
  let nextId = nextFree;
  for (let attempt = 1; attempt <= TRANSIENT.maxNumberOfAttempts; attempt++) {
    const timerId = nextId++;
    history.failed(attemptId, name, `storage unavailable (attempt ${attempt})`);
    history.episodeEnd([], [timerId]).episode().timerFired(timerId);
    if (attempt < TRANSIENT.maxNumberOfAttempts) {
      attemptId = nextId++;
      history.episodeEnd([[attemptId, name]]).episode();
    }
  }
  return nextId;
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
  expect(failsEveryAttempt(history, 'resize-thumb', 0, 2)).toBe(5);
  return history.episodeEnd([[5, WRITE_DOCUMENT_FUNCTION]]).episode();
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
    const retryAt = new Date(currentUtc(history) + 300_000).toISOString();
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
    const nextId = failsEveryAttempt(history, 'resize-thumb', 7, 8);
    const second = await run(history.events);
    const retryAt = new Date(currentUtc(history) + 900_000).toISOString();
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
    failsEveryAttempt(history, 'resize-thumb', nextId + 1, nextId + 2);
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
    const history = new HistoryBuilder()
      .started(ORCHESTRATOR_FUNCTION, input)
      .episodeEnd([
        [0, 'resize-thumb'],
        [1, 'resize-medium'],
      ])
      .episode()
      .completed(0, corrupt)
      .completed(1, ok(medium))
      .episodeEnd([[2, WRITE_DOCUMENT_FUNCTION]])
      .episode()
      .completed(2, { ok: true, documentId: 'doc-1', status: 'partial' });
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
    const history = new HistoryBuilder()
      .started(ORCHESTRATOR_FUNCTION, input)
      .episodeEnd([
        [0, 'resize-thumb'],
        [1, 'resize-medium'],
      ])
      .episode()
      .completed(0, returned)
      .completed(1, ok(medium))
      .episodeEnd([[2, WRITE_DOCUMENT_FUNCTION]])
      .episode()
      .completed(2, { ok: true, documentId: 'doc-1', status: 'partial' });
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
    let attemptId = 0;
    let nextId = 2;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const timerId = nextId++;
      history.failed(attemptId, 'resize-thumb', 'down');
      history.episodeEnd([], [timerId]).episode().timerFired(timerId);
      if (attempt < 5) {
        attemptId = nextId++;
        history.episodeEnd([[attemptId, 'resize-thumb']]).episode();
      }
    }
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
