/**
 * The placeholder in the fan-out, through durable-functions' own replay: scheduled after the sizes only in
 * instances started with `placeholder: true`, never able to fail a size; and an instance started by the
 * previous deployment (no placeholder, single-format results) still replays to the end under this code.
 */
import { describe, expect, it } from 'vitest';
import {
  ORCHESTRATOR_FUNCTION,
  PLACEHOLDER_FUNCTION,
  resizeFunctionName,
  WRITE_DOCUMENT_FUNCTION,
} from '../../src/domain/functionNames';
import { instanceIdFor } from '../../src/domain/ids';
import type {
  Placeholder,
  ResizeOrchestrationInput,
  ResizeOutcome,
  SizeSpec,
  Variant,
} from '../../src/domain/types';
import { resizeImageOrchestrator } from '../../src/orchestrators/resizeImageOrchestrator';
import { activityCall, catSource, defaultSizes, LEGACY_RETRY } from './support/fixtures';
import { failsEveryAttempt, HistoryBuilder, runEpisode, type HistoryEvent } from './support/replay';

const source = catSource;
const sizes = defaultSizes();
const planned: ResizeOrchestrationInput = { source, sizes, placeholder: true };
const instanceId = instanceIdFor(source.container, source.blobName, source.eTag);
const RETRY = LEGACY_RETRY;
const [thumb, medium, large] = sizes as [SizeSpec, SizeSpec, SizeSpec];
const SOURCE_INFO = { format: 'JPEG', width: 1600, height: 1200, length: 48213, contentType: 'image/jpeg' };

function variant(size: SizeSpec, format: Variant['format'] = 'jpeg'): Variant {
  const width = size.width ?? 1600;
  const extension = format === 'jpeg' ? 'jpg' : format;
  const blobName = `users/42/cat.jpg/0123456789ab/${size.label}.${extension}`;
  return {
    label: size.label,
    width,
    height: Math.round((width * 3) / 4),
    contentType: `image/${format}`,
    format,
    blobName,
    url: `http://127.0.0.1:10000/devstoreaccount1/images-processed/${blobName}`,
    sizeBytes: 1000 + width,
    eTag: `"0x8D${size.label}${format}"`,
    lastModified: '2026-11-24T04:00:05.000Z',
    createdAt: '2026-11-24T04:00:05.000Z',
  };
}

function ok(size: SizeSpec): ResizeOutcome {
  return { ok: true, label: size.label, variants: [variant(size)], errors: [], source: SOURCE_INFO };
}

const placeholder: Placeholder = { thumbhash: 'HBkSHYSIeHiPiHh8eJd4eTN0EEQG', dominantColor: '#c81828' };

const call = (functionName: string, input: unknown) => activityCall(functionName, RETRY, input);
const resizeAction = (size: SizeSpec) => call(resizeFunctionName(size.label), { source, size, instanceId });
const placeholderAction = call(PLACEHOLDER_FUNCTION, { source, instanceId });
const fanOut = { actionType: 12, compoundActions: [...sizes.map(resizeAction), placeholderAction] };
const writeAction = (outcomes: ResizeOutcome[], made?: Placeholder) =>
  call(WRITE_DOCUMENT_FUNCTION, { instanceId, source, outcomes, ...(made ? { placeholder: made } : {}) });

/** The fan-out scheduled: the sizes as task ids 0, 1, 2 in plan order, then the placeholder as 3. */
function fanOutScheduled(): HistoryBuilder {
  return new HistoryBuilder()
    .started(ORCHESTRATOR_FUNCTION, planned)
    .episodeEnd([
      ...sizes.map((size, id): [number, string] => [id, resizeFunctionName(size.label)]),
      [sizes.length, PLACEHOLDER_FUNCTION],
    ])
    .episode();
}

async function run(history: readonly HistoryEvent[], input: ResizeOrchestrationInput = planned) {
  return runEpisode(resizeImageOrchestrator, instanceId, input, history);
}

describe('the placeholder in the fan-out', () => {
  it('is scheduled after every size in the one WhenAll, and the writer gets it', async () => {
    const started = await run(new HistoryBuilder().started(ORCHESTRATOR_FUNCTION, planned).events);
    expect(started.state.actions).toEqual([[fanOut]]);

    const history = fanOutScheduled()
      .completed(3, { ok: true, placeholder })
      .completed(2, ok(large))
      .completed(0, ok(thumb))
      .completed(1, ok(medium));
    const writing = await run(history.events);
    expect(writing.state.actions).toEqual([
      [fanOut, writeAction([ok(thumb), ok(medium), ok(large)], placeholder)],
    ]);

    history.episodeEnd([[4, WRITE_DOCUMENT_FUNCTION]]).episode();
    history.completed(4, { ok: true, documentId: 'doc-1', status: 'completed', replacedVersion: false });
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { documentId: 'doc-1', status: 'completed', variants: 3, placeholder: true, errors: [] },
    });
  });

  it('still failing after its retries, it is left out: every size is written, the summary says so', async () => {
    const history = fanOutScheduled()
      .completed(0, ok(thumb))
      .completed(1, ok(medium))
      .completed(2, ok(large));
    const placeholderActivity = {
      name: PLACEHOLDER_FUNCTION,
      attempts: RETRY.maxNumberOfAttempts,
      message: (attempt: number) => `out of memory (attempt ${attempt})`,
    };
    const nextId = failsEveryAttempt(history, placeholderActivity, 3, 4);
    const writing = await run(history.events);
    expect(writing.state.actions).toEqual([[fanOut, writeAction([ok(thumb), ok(medium), ok(large)])]]);

    history.episodeEnd([[nextId, WRITE_DOCUMENT_FUNCTION]]).episode();
    history.completed(nextId, { ok: true, documentId: 'doc-1', status: 'completed', replacedVersion: false });
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { status: 'completed', variants: 3, placeholder: false, errors: [] },
    });
  });

  it('one the activity could not make is left out and logged why; the sizes are untouched', async () => {
    const history = fanOutScheduled()
      .completed(3, { ok: false, reason: 'corrupt-image: The JPEG could not be decoded' })
      .completed(0, ok(thumb))
      .completed(1, ok(medium))
      .completed(2, ok(large));
    const writing = await run(history.events);
    expect(writing.state.actions).toEqual([[fanOut, writeAction([ok(thumb), ok(medium), ok(large)])]]);
    expect(writing.logs.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({
        msg: 'no placeholder',
        reason: 'corrupt-image: The JPEG could not be decoded',
      }),
    );
  });

  it('counts one variant per (label, format) and keeps a failed format as its own error', async () => {
    const twoFormats: ResizeOutcome = {
      ok: true,
      label: 'thumb',
      variants: [variant(thumb), variant(thumb, 'webp')],
      errors: [{ label: 'thumb', format: 'avif', code: 'internal', message: 'The avif encoder failed: x' }],
      source: SOURCE_INFO,
    };
    const history = fanOutScheduled()
      .completed(3, { ok: true, placeholder })
      .completed(0, twoFormats)
      .completed(1, ok(medium))
      .completed(2, ok(large))
      .episodeEnd([[4, WRITE_DOCUMENT_FUNCTION]])
      .episode()
      .completed(4, { ok: true, documentId: 'doc-1', status: 'partial', replacedVersion: false });
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { status: 'partial', variants: 4, placeholder: true, errors: twoFormats.errors },
    });
  });
});

describe('an instance started by the previous deployment', () => {
  /** Its input: no `placeholder`, sizes as `{label, width, height}` (the plan before renditions). */
  const legacyInput = {
    source,
    sizes: defaultSizes().map(({ label, width, height }) => ({ label, width, height })),
  } as unknown as ResizeOrchestrationInput;
  const legacySize = (index: number) => legacyInput.sizes[index] as SizeSpec;
  /** A result as the previous resize activity returned it: one variant, no `variants`/`errors` lists. */
  const legacyOk = (index: number) => {
    const {
      ok: status,
      label,
      variants,
      source: read,
    } = ok(legacySize(index)) as Extract<ResizeOutcome, { ok: true }>;
    return { ok: status, label, variant: variants[0], source: read };
  };
  const legacyResize = (index: number) =>
    call(resizeFunctionName(legacySize(index).label), { source, size: legacySize(index), instanceId });
  const legacyFanOut = { actionType: 12, compoundActions: [0, 1, 2].map(legacyResize) };

  /** The history the previous code recorded: the three sizes as ids 0-2 (no placeholder), the writer as 3. */
  function recorded(): HistoryBuilder {
    return new HistoryBuilder()
      .started(ORCHESTRATOR_FUNCTION, legacyInput)
      .episodeEnd([0, 1, 2].map((id): [number, string] => [id, resizeFunctionName(legacySize(id).label)]))
      .episode()
      .completed(0, legacyOk(0));
  }

  it('mid fan-out: replays its three sizes, schedules no placeholder, and waits for the rest', async () => {
    const waiting = await run(recorded().events, legacyInput);
    expect(waiting).toMatchObject({ ok: true });
    expect(waiting.state).toMatchObject({ isDone: false, actions: [[legacyFanOut]] });
  });

  it('after its writer was scheduled: replays to the end with the same task ids and its results read as lists', async () => {
    const history = recorded()
      .completed(1, legacyOk(1))
      .completed(2, legacyOk(2))
      .episodeEnd([[3, WRITE_DOCUMENT_FUNCTION]])
      .episode();
    const writing = await run(history.events, legacyInput);
    const outcomes = [0, 1, 2].map((index) => ok(legacySize(index)));
    expect(writing.state.actions).toEqual([
      [legacyFanOut, call(WRITE_DOCUMENT_FUNCTION, { instanceId, source, outcomes })],
    ]);

    history.completed(3, { ok: true, documentId: 'doc-1', status: 'completed', replacedVersion: false });
    const done = await run(history.events, legacyInput);
    expect(done).toMatchObject({ ok: true });
    expect(done.state).toMatchObject({
      isDone: true,
      output: { documentId: 'doc-1', status: 'completed', variants: 3, placeholder: false, errors: [] },
    });
  });
});
