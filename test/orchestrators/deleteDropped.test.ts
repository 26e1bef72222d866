/**
 * The same-version cleanup in the orchestration, through durable-functions' own replay: scheduled after the
 * last document write only in instances started with `prunesDropped: true` (after the grace period when the
 * write stopped naming variants), and an instance started without the flag replays its recorded history to
 * the same end, with no extra action.
 */
import { describe, expect, it } from 'vitest';
import {
  DELETE_DROPPED_DERIVATIVES_FUNCTION,
  ORCHESTRATOR_FUNCTION,
  resizeFunctionName,
  WRITE_DOCUMENT_FUNCTION,
} from '../../src/domain/functionNames';
import { instanceIdFor } from '../../src/domain/ids';
import type {
  ResizeOrchestrationInput,
  ResizeOutcome,
  SizeSpec,
  SourceRef,
  Variant,
} from '../../src/domain/types';
import { plannedFormats } from '../../src/orchestrators/deleteDropped';
import { resizeImageOrchestrator } from '../../src/orchestrators/resizeImageOrchestrator';
import { activityCall, catSource, defaultSizes, LEGACY_RETRY } from './support/fixtures';
import {
  episodeClock,
  failsEveryAttempt,
  HistoryBuilder,
  runEpisode,
  type HistoryEvent,
} from './support/replay';

const source: SourceRef = catSource;
const sizes: SizeSpec[] = defaultSizes();
const [thumb, medium, large] = sizes as [SizeSpec, SizeSpec, SizeSpec];
const pruning: ResizeOrchestrationInput = { source, sizes, prunesDropped: true, replacedGraceSeconds: 60 };
const legacy: ResizeOrchestrationInput = { source, sizes };
const instanceId = instanceIdFor(source.container, source.blobName, source.eTag);
const RETRY = LEGACY_RETRY;
const SOURCE_INFO = { format: 'JPEG', width: 1600, height: 1200, length: 48213, contentType: 'image/jpeg' };

function variant(size: SizeSpec, format: Variant['format']): Variant {
  const extension = format === 'jpeg' ? 'jpg' : format;
  const blobName = `users/42/cat.jpg/0123456789ab/${size.label}.${extension}`;
  return {
    label: size.label,
    width: size.width ?? 1600,
    height: size.height ?? 1200,
    contentType: `image/${format}`,
    format,
    blobName,
    url: `http://127.0.0.1:10000/devstoreaccount1/images-processed/${blobName}`,
    sizeBytes: 1000,
    eTag: `"0x8D${size.label}${format}"`,
    lastModified: '2026-11-24T04:00:05.000Z',
    createdAt: '2026-11-24T04:00:05.000Z',
  };
}

const ok = (size: SizeSpec, ...formats: Variant['format'][]): ResizeOutcome => ({
  ok: true,
  label: size.label,
  variants: formats.map((format) => variant(size, format)),
  errors: [],
  source: SOURCE_INFO,
});
const outcomes = [ok(thumb, 'jpeg', 'webp'), ok(medium, 'jpeg'), ok(large, 'jpeg')];

const call = (functionName: string, input: unknown) => activityCall(functionName, RETRY, input);
const cleanupAction = call(DELETE_DROPPED_DERIVATIVES_FUNCTION, {
  source,
  instanceId,
  planned: [
    { label: 'thumb', formats: ['jpeg', 'webp'] },
    { label: 'medium', formats: ['jpeg'] },
    { label: 'large', formats: ['jpeg'] },
  ],
});

/** Fan-out as ids 0-2, the writer as 3 (its result `written`). */
function written(input: ResizeOrchestrationInput, result: Record<string, unknown>): HistoryBuilder {
  return new HistoryBuilder()
    .started(ORCHESTRATOR_FUNCTION, input)
    .episodeEnd(sizes.map((size, id): [number, string] => [id, resizeFunctionName(size.label)]))
    .episode()
    .completed(0, outcomes[0])
    .completed(1, outcomes[1])
    .completed(2, outcomes[2])
    .episodeEnd([[3, WRITE_DOCUMENT_FUNCTION]])
    .episode()
    .completed(3, { ok: true, documentId: 'doc-1', status: 'completed', replacedVersion: false, ...result });
}

const run = (history: readonly HistoryEvent[], input: ResizeOrchestrationInput) =>
  runEpisode(resizeImageOrchestrator, instanceId, input, history);

describe('the same-version cleanup in the orchestration', () => {
  it('asks the writer to drop unlisted labels, then cleans up at once when the write dropped nothing named', async () => {
    const start = await run(written(pruning, {}).events.slice(0, 2), pruning);
    expect(start.state.actions[0]).toMatchObject([{ actionType: 12, compoundActions: { length: 3 } }]);
    const history = written(pruning, {});
    const afterWrite = await run(history.events, pruning);
    const scheduled = afterWrite.state.actions.flat();
    expect(scheduled).toContainEqual(
      call(WRITE_DOCUMENT_FUNCTION, { instanceId, source, outcomes, dropsUnlisted: true }),
    );
    expect(scheduled.at(-1)).toEqual(cleanupAction);

    history
      .episodeEnd([[4, DELETE_DROPPED_DERIVATIVES_FUNCTION]])
      .episode()
      .completed(4, { deleted: 2, kept: 4 });
    const done = await run(history.events, pruning);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { documentId: 'doc-1', status: 'completed', variants: 4, droppedDerivatives: 2 },
    });
  });

  it('waits the grace period captured in the input when the write stopped naming variants', async () => {
    const history = written(pruning, { droppedVariants: 1 });
    const waiting = await run(history.events, pruning);
    const fireAt = new Date(episodeClock(history) + 60_000).toISOString();
    expect(waiting.state).toMatchObject({
      isDone: false,
      customStatus: { stage: 'cleanup-pending', status: 'completed', cleanupAt: fireAt },
    });
    expect(waiting.state.actions.flat().at(-1)).toEqual({ actionType: 5, fireAt, isCanceled: false });

    history.episodeEnd([], [4]).episode().timerFired(4);
    const cleaning = await run(history.events, pruning);
    expect(cleaning.state.actions.flat().at(-1)).toEqual(cleanupAction);

    history
      .episodeEnd([[5, DELETE_DROPPED_DERIVATIVES_FUNCTION]])
      .episode()
      .completed(5, { deleted: 1, kept: 4 });
    expect((await run(history.events, pruning)).state).toMatchObject({
      isDone: true,
      output: { status: 'completed', droppedDerivatives: 1 },
    });
  });

  it('a cleanup that fails after its retries leaves the run completed (the next run tries again)', async () => {
    const history = written(pruning, {})
      .episodeEnd([[4, DELETE_DROPPED_DERIVATIVES_FUNCTION]])
      .episode();
    failsEveryAttempt(
      history,
      {
        name: DELETE_DROPPED_DERIVATIVES_FUNCTION,
        attempts: RETRY.maxNumberOfAttempts,
        message: (attempt) => `503 (attempt ${attempt})`,
      },
      4,
      5,
    );
    const done = await run(history.events, pruning);
    expect(done.state.isDone).toBe(true);
    expect(done.state.output).toMatchObject({ status: 'completed', variants: 4 });
    expect(done.state.output).not.toHaveProperty('droppedDerivatives');
  });

  it('writes nothing and cleans nothing when the write was skipped (another version owns the path)', async () => {
    const history = new HistoryBuilder()
      .started(ORCHESTRATOR_FUNCTION, pruning)
      .episodeEnd(sizes.map((size, id): [number, string] => [id, resizeFunctionName(size.label)]))
      .episode()
      .completed(0, outcomes[0])
      .completed(1, outcomes[1])
      .completed(2, outcomes[2])
      .episodeEnd([[3, WRITE_DOCUMENT_FUNCTION]])
      .episode()
      .completed(3, { ok: false, documentId: 'doc-1', reason: 'stale' });
    const done = await run(history.events, pruning);
    expect(
      done.state.actions.flat().map((action) => (action as { functionName?: string }).functionName),
    ).not.toContain(DELETE_DROPPED_DERIVATIVES_FUNCTION);
  });

  it('an instance started without the flag replays its recorded history to the same end, with no cleanup', async () => {
    // What the previous deployment recorded: fan-out, the writer (without dropsUnlisted), done.
    const history = written(legacy, { droppedVariants: 1 });
    const done = await run(history.events, legacy);
    expect(done.ok).toBe(true);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { documentId: 'doc-1', status: 'completed', variants: 4, placeholder: false, errors: [] },
    });
    expect(done.state.output).not.toHaveProperty('droppedDerivatives');
    expect(done.state.actions.flat()).toContainEqual(
      call(WRITE_DOCUMENT_FUNCTION, { instanceId, source, outcomes }),
    );
    // The fan-out (one WhenAll) and the writer: nothing after it.
    expect(done.state.actions.flat()).toHaveLength(2);
  });
});

describe('plannedFormats', () => {
  it('names the formats each label accounts for, and null for a label that failed as a whole or has no outcome', () => {
    const failedFormat: ResizeOutcome = {
      ...ok(thumb, 'jpeg'),
      errors: [{ label: 'thumb', format: 'avif', code: 'too-large-for-format', message: 'too large' }],
    };
    const wholeLabel: ResizeOutcome = {
      ok: false,
      label: 'medium',
      variants: [],
      errors: [{ label: 'medium', code: 'internal', message: 'resize-medium failed after retries' }],
    };
    expect(plannedFormats({ sizes }, [failedFormat, wholeLabel])).toEqual([
      { label: 'thumb', formats: ['jpeg', 'avif'] },
      { label: 'medium', formats: null },
      { label: 'large', formats: null },
    ]);
  });
});
