/**
 * Decode once in the orchestration, through durable-functions' own replay: prepareSource before the fan-out
 * for sources that do not shrink on load, the intermediate handed to every size, deleted when the run ends.
 */
import { describe, expect, it } from 'vitest';
import {
  DELETE_INTERMEDIATE_FUNCTION as DELETE_INTERMEDIATE_ACTIVITY,
  PLACEHOLDER_FUNCTION,
  ORCHESTRATOR_FUNCTION as ORCHESTRATOR_NAME,
  PREPARE_SOURCE_FUNCTION as PREPARE_SOURCE_ACTIVITY,
  resizeFunctionName as resizeActivityName,
  WRITE_DOCUMENT_FUNCTION as WRITE_DOCUMENT_ACTIVITY,
} from '../../src/domain/functionNames';
import { instanceIdFor } from '../../src/domain/ids';
import type {
  IntermediateRef,
  ResizeOrchestrationInput,
  ResizeOutcome,
  SizeSpec,
  SourceRef,
} from '../../src/domain/types';
import { decodesOnce, resizeImageOrchestrator } from '../../src/orchestrators/resizeImageOrchestrator';
import { activityCall, defaultSizes, LEGACY_RETRY } from './support/fixtures';
import { HistoryBuilder, runEpisode, type HistoryEvent } from './support/replay';

const source: SourceRef = {
  container: 'images-unprocessed',
  blobName: 'users/42/scan.png',
  eTag: '"0x8DBEEF0001"',
  sequencer: '00000000000000000000000000000001',
  contentLength: 912_000,
  contentType: 'image/png',
};
const sizes = defaultSizes();
const input: ResizeOrchestrationInput = { source, sizes };
const instanceId = instanceIdFor(source.container, source.blobName, source.eTag);
const handler = resizeImageOrchestrator;
const RETRY = LEGACY_RETRY;
const intermediate: IntermediateRef = {
  container: 'images-scratch',
  blobName: 'ab12/1280x1280.tiff',
  eTag: '0x8DSCRATCH',
  width: 1280,
  height: 960,
  source: {
    format: 'PNG',
    width: 1600,
    height: 1200,
    hasAlpha: false,
    length: 912_000,
    contentType: 'image/png',
  },
};

function call(functionName: string, callInput: unknown) {
  return activityCall(functionName, RETRY, callInput);
}
const prepareAction = call(PREPARE_SOURCE_ACTIVITY, { source, sizes, instanceId });
function fanOut(withIntermediate: boolean) {
  return {
    actionType: 12,
    compoundActions: sizes.map((size) =>
      call(resizeActivityName(size.label), {
        source,
        size,
        instanceId,
        ...(withIntermediate ? { intermediate } : {}),
      }),
    ),
  };
}
function ok(size: SizeSpec): ResizeOutcome {
  return {
    ok: true,
    label: size.label,
    variants: [
      {
        label: size.label,
        width: size.width ?? 0,
        height: ((size.width ?? 0) * 3) / 4,
        contentType: 'image/png',
        format: 'png',
        blobName: `users/42/scan.png/0123456789ab/${size.label}.png`,
        url: `http://127.0.0.1:10000/devstoreaccount1/images-processed/users/42/scan.png/0123456789ab/${size.label}.png`,
        sizeBytes: 1000,
        eTag: `"0x8D${size.label}"`,
        lastModified: '2026-11-24T04:00:05.000Z',
        createdAt: '2026-11-24T04:00:05.000Z',
      },
    ],
    errors: [],
    source: { format: 'PNG', width: 1600, height: 1200, length: 912_000, contentType: 'image/png' },
  };
}

function prepared(outcome: unknown): HistoryBuilder {
  return new HistoryBuilder()
    .started(ORCHESTRATOR_NAME, input)
    .episodeEnd([[0, PREPARE_SOURCE_ACTIVITY]])
    .episode()
    .completed(0, outcome);
}

async function run(history: readonly HistoryEvent[], runInput = input) {
  return runEpisode(handler, instanceId, runInput, history);
}

describe('decode once', () => {
  it('routes by the event content type: JPEG and one-size plans skip it, anything else asks prepareSource', () => {
    expect(decodesOnce(input)).toBe(true);
    expect(decodesOnce({ ...input, source: { ...source, contentType: 'image/jpeg' } })).toBe(false);
    expect(decodesOnce({ ...input, source: { ...source, contentType: 'IMAGE/JPEG; charset=binary' } })).toBe(
      false,
    );
    expect(decodesOnce({ ...input, source: { ...source, contentType: 'application/octet-stream' } })).toBe(
      true,
    );
    expect(decodesOnce({ ...input, source: { ...source, contentType: 'image/heic' } })).toBe(true);
    expect(decodesOnce({ ...input, sizes: sizes.slice(0, 1) })).toBe(false);
  });

  it('schedules prepareSource alone first, and says so in the custom status', async () => {
    const result = await run(new HistoryBuilder().started(ORCHESTRATOR_NAME, input).events);
    expect(result.state).toMatchObject({
      isDone: false,
      actions: [[prepareAction]],
      customStatus: { stage: 'decoding', sizes: ['thumb', 'medium', 'large'] },
    });
  });

  it('hands the intermediate to every size, writes the document, then deletes the intermediate', async () => {
    const history = prepared({ ok: true, intermediate });
    const fanning = await run(history.events);
    expect(fanning.state.actions).toEqual([[prepareAction, fanOut(true)]]);

    history.episodeEnd(sizes.map((size, index) => [index + 1, resizeActivityName(size.label)])).episode();
    sizes.forEach((size, index) => history.completed(index + 1, ok(size)));
    const outcomes = sizes.map(ok);
    const writing = await run(history.events);
    expect(writing.state.actions).toEqual([
      [prepareAction, fanOut(true), call(WRITE_DOCUMENT_ACTIVITY, { instanceId, source, outcomes })],
    ]);

    history.episodeEnd([[4, WRITE_DOCUMENT_ACTIVITY]]).episode();
    history.completed(4, { ok: true, documentId: 'doc-1', status: 'completed' });
    const deleting = await run(history.events);
    expect(deleting.state).toMatchObject({ isDone: false });
    expect(deleting.state.actions[0]?.at(-1)).toEqual(
      call(DELETE_INTERMEDIATE_ACTIVITY, { intermediate, instanceId, blobName: source.blobName }),
    );

    history
      .episodeEnd([[5, DELETE_INTERMEDIATE_ACTIVITY]])
      .episode()
      .completed(5, true);
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { documentId: 'doc-1', status: 'completed', variants: 3, errors: [] },
    });
  });

  it('a writer that fails after its retries still deletes the intermediate before the instance fails', async () => {
    const history = prepared({ ok: true, intermediate });
    history.episodeEnd(sizes.map((size, index) => [index + 1, resizeActivityName(size.label)])).episode();
    sizes.forEach((size, index) => history.completed(index + 1, ok(size)));
    history.episodeEnd([[4, WRITE_DOCUMENT_ACTIVITY]]).episode();
    history.failed(4, WRITE_DOCUMENT_ACTIVITY, 'cosmos unavailable');
    // A failed task with retry options: replay the remaining attempts as failures too.
    const afterFirst = await run(history.events);
    expect(afterFirst.state.isDone).toBe(false);
    let nextId = 5;
    for (let attempt = 2; attempt <= RETRY.maxNumberOfAttempts; attempt++) {
      const timerId = nextId++;
      history.episodeEnd([], [timerId]).episode().timerFired(timerId);
      const attemptId = nextId++;
      history.episodeEnd([[attemptId, WRITE_DOCUMENT_ACTIVITY]]).episode();
      history.failed(attemptId, WRITE_DOCUMENT_ACTIVITY, 'cosmos unavailable');
    }
    const timerId = nextId++;
    history.episodeEnd([], [timerId]).episode().timerFired(timerId);
    const deleting = await run(history.events);
    expect(deleting.state.isDone).toBe(false);
    expect(deleting.state.actions.flat().at(-1)).toEqual(
      call(DELETE_INTERMEDIATE_ACTIVITY, { intermediate, instanceId, blobName: source.blobName }),
    );
    const deleteId = nextId;
    history
      .episodeEnd([[deleteId, DELETE_INTERMEDIATE_ACTIVITY]])
      .episode()
      .completed(deleteId, true);
    const failed = await run(history.events);
    expect(failed.ok).toBe(false);
    expect(!failed.ok && failed.error).toMatch(/cosmos unavailable/);
  });

  it('a problem with the source found by prepareSource fails every size without running them', async () => {
    const error = { code: 'corrupt-image', message: 'The PNG could not be decoded: IDAT stream error' };
    const writing = await run(prepared({ ok: false, error, source: { format: 'PNG' } }).events);
    const outcomes = sizes.map((size) => ({
      ok: false,
      label: size.label,
      variants: [],
      errors: [{ ...error, label: size.label }],
      source: { format: 'PNG' },
    }));
    expect(writing.state.actions).toEqual([
      [prepareAction, call(WRITE_DOCUMENT_ACTIVITY, { instanceId, source, outcomes })],
    ]);
  });

  it('"read the source" (a JPEG after all) fans out without an intermediate and deletes nothing', async () => {
    const history = prepared({
      status: 'source',
      reason: 'JPEG shrinks on load: each size decodes it cheaply',
    });
    expect((await run(history.events)).state.actions).toEqual([[prepareAction, fanOut(false)]]);
    history.episodeEnd(sizes.map((size, index) => [index + 1, resizeActivityName(size.label)])).episode();
    sizes.forEach((size, index) => history.completed(index + 1, ok(size)));
    history.episodeEnd([[4, WRITE_DOCUMENT_ACTIVITY]]).episode();
    history.completed(4, { ok: true, documentId: 'doc-1', status: 'completed' });
    const done = await run(history.events);
    expect(done.state).toMatchObject({ isDone: true, output: { status: 'completed' } });
    expect(JSON.stringify(done.state.actions)).not.toContain(DELETE_INTERMEDIATE_ACTIVITY);
  });

  it('with a placeholder planned, it runs after the sizes in the same fan-out and reads the intermediate too', async () => {
    const planned: ResizeOrchestrationInput = { ...input, placeholder: true };
    const history = new HistoryBuilder()
      .started(ORCHESTRATOR_NAME, planned)
      .episodeEnd([[0, PREPARE_SOURCE_ACTIVITY]])
      .episode()
      .completed(0, { ok: true, intermediate });
    const fanning = await run(history.events, planned);
    const withPlaceholder = {
      actionType: 12,
      compoundActions: [
        ...fanOut(true).compoundActions,
        call(PLACEHOLDER_FUNCTION, { source, instanceId, intermediate }),
      ],
    };
    expect(fanning.state.actions).toEqual([[prepareAction, withPlaceholder]]);

    history
      .episodeEnd([
        ...sizes.map((size, index): [number, string] => [index + 1, resizeActivityName(size.label)]),
        [4, PLACEHOLDER_FUNCTION],
      ])
      .episode();
    sizes.forEach((size, index) => history.completed(index + 1, ok(size)));
    const placeholder = { thumbhash: 'HBkSHYSIeHiPiHh8eJd4eTN0EEQG', dominantColor: '#c81828' };
    history.completed(4, { ok: true, placeholder });
    const writing = await run(history.events, planned);
    expect(writing.state.actions[0]?.at(-1)).toEqual(
      call(WRITE_DOCUMENT_ACTIVITY, { instanceId, source, outcomes: sizes.map(ok), placeholder }),
    );
  });

  it('a one-size re-run (reprocess ?sizes=thumb) goes straight to its size, reading the source', async () => {
    const thumbOnly = { source, sizes: sizes.slice(0, 1) };
    const result = await run(new HistoryBuilder().started(ORCHESTRATOR_NAME, thumbOnly).events, thumbOnly);
    expect(result.state.actions).toEqual([
      [
        {
          actionType: 12,
          compoundActions: [call(resizeActivityName('thumb'), { source, size: sizes[0], instanceId })],
        },
      ],
    ]);
  });
});

describe('routing by the bytes (routeByBytes), beside instances started before it existed', () => {
  // A HEIC uploaded with a declared `image/jpeg`: only prepareSource, reading the bytes, can tell.
  const declaredJpeg: SourceRef = { ...source, blobName: 'users/42/IMG_0003.jpg', contentType: 'image/jpeg' };
  const jpegId = instanceIdFor(declaredJpeg.container, declaredJpeg.blobName, declaredJpeg.eTag);
  const legacy: ResizeOrchestrationInput = { source: declaredJpeg, sizes };
  const marked: ResizeOrchestrationInput = { ...legacy, routeByBytes: true };
  const heicIntermediate: IntermediateRef = {
    ...intermediate,
    source: { ...intermediate.source, format: 'HEIC', contentType: 'image/jpeg' },
  };
  const sizeCalls = (withIntermediate?: IntermediateRef) => ({
    actionType: 12,
    compoundActions: sizes.map((size) =>
      call(resizeActivityName(size.label), {
        source: declaredJpeg,
        size,
        instanceId: jpegId,
        ...(withIntermediate ? { intermediate: withIntermediate } : {}),
      }),
    ),
  });
  const okFor = (size: SizeSpec): ResizeOutcome => ok(size);
  const runJpeg = (history: readonly HistoryEvent[], runInput: ResizeOrchestrationInput) =>
    runEpisode(handler, jpegId, runInput, history);

  it('decodesOnce: the marker sends every multi-size plan to prepareSource, whatever the declared type', () => {
    expect(decodesOnce(legacy)).toBe(false);
    expect(decodesOnce(marked)).toBe(true);
    expect(decodesOnce({ ...marked, source: { ...declaredJpeg, contentType: 'image/heic' } })).toBe(true);
    expect(decodesOnce({ ...marked, routeByBytes: false })).toBe(false);
    expect(decodesOnce({ ...marked, sizes: sizes.slice(0, 1) })).toBe(false);
  });

  it('an instance started without the marker replays its recorded schedule: the sizes first, no prepareSource', async () => {
    // The history a previous deployment recorded for a declared JPEG: fan-out (ids 0-2), then the writer (3).
    const history = new HistoryBuilder()
      .started(ORCHESTRATOR_NAME, legacy)
      .episodeEnd(sizes.map((size, index) => [index, resizeActivityName(size.label)]))
      .episode();
    sizes.forEach((size, index) => history.completed(index, okFor(size)));
    const writing = await runJpeg(history.events, legacy);
    const writeCall = call(WRITE_DOCUMENT_ACTIVITY, {
      instanceId: jpegId,
      source: declaredJpeg,
      outcomes: sizes.map(okFor),
    });
    expect(writing.state.actions).toEqual([[sizeCalls(), writeCall]]);

    history.episodeEnd([[3, WRITE_DOCUMENT_ACTIVITY]]).episode();
    history.completed(3, { ok: true, documentId: 'doc-1', status: 'completed' });
    const done = await runJpeg(history.events, legacy);
    expect(done.state).toMatchObject({ isDone: true, output: { status: 'completed', variants: 3 } });
    expect(JSON.stringify(done.state.actions)).not.toContain(PREPARE_SOURCE_ACTIVITY);
  });

  it('an instance started with the marker asks prepareSource first; a HEIC found by the bytes is decoded once', async () => {
    const first = await runJpeg(new HistoryBuilder().started(ORCHESTRATOR_NAME, marked).events, marked);
    const prepareCall = call(PREPARE_SOURCE_ACTIVITY, { source: declaredJpeg, sizes, instanceId: jpegId });
    expect(first.state).toMatchObject({
      isDone: false,
      actions: [[prepareCall]],
      customStatus: { stage: 'decoding', sizes: ['thumb', 'medium', 'large'] },
    });

    const history = new HistoryBuilder()
      .started(ORCHESTRATOR_NAME, marked)
      .episodeEnd([[0, PREPARE_SOURCE_ACTIVITY]])
      .episode()
      .completed(0, { ok: true, intermediate: heicIntermediate });
    const fanning = await runJpeg(history.events, marked);
    expect(fanning.state.actions).toEqual([[prepareCall, sizeCalls(heicIntermediate)]]);

    history.episodeEnd(sizes.map((size, index) => [index + 1, resizeActivityName(size.label)])).episode();
    sizes.forEach((size, index) => history.completed(index + 1, okFor(size)));
    history.episodeEnd([[4, WRITE_DOCUMENT_ACTIVITY]]).episode();
    history.completed(4, { ok: true, documentId: 'doc-1', status: 'completed' });
    const deleting = await runJpeg(history.events, marked);
    expect(deleting.state.actions[0]?.at(-1)).toEqual(
      call(DELETE_INTERMEDIATE_ACTIVITY, {
        intermediate: heicIntermediate,
        instanceId: jpegId,
        blobName: declaredJpeg.blobName,
      }),
    );
  });

  it('an instance started with the marker whose bytes are a JPEG after all: the sizes read the source', async () => {
    const history = new HistoryBuilder()
      .started(ORCHESTRATOR_NAME, marked)
      .episodeEnd([[0, PREPARE_SOURCE_ACTIVITY]])
      .episode()
      .completed(0, { ok: true, readSource: 'JPEG shrinks on load: each size decodes it cheaply' });
    const prepareCall = call(PREPARE_SOURCE_ACTIVITY, { source: declaredJpeg, sizes, instanceId: jpegId });
    expect((await runJpeg(history.events, marked)).state.actions).toEqual([[prepareCall, sizeCalls()]]);

    history.episodeEnd(sizes.map((size, index) => [index + 1, resizeActivityName(size.label)])).episode();
    sizes.forEach((size, index) => history.completed(index + 1, okFor(size)));
    history.episodeEnd([[4, WRITE_DOCUMENT_ACTIVITY]]).episode();
    history.completed(4, { ok: true, documentId: 'doc-1', status: 'completed' });
    const done = await runJpeg(history.events, marked);
    expect(done.state).toMatchObject({ isDone: true, output: { status: 'completed' } });
    expect(JSON.stringify(done.state.actions)).not.toContain(DELETE_INTERMEDIATE_ACTIVITY);
  });
});
