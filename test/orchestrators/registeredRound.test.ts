import { describe, expect, it } from 'vitest';
import {
  FIND_UNREGISTERED_SIZES_FUNCTION,
  PLACEHOLDER_FUNCTION,
  ORCHESTRATOR_FUNCTION,
  resizeFunctionName,
  WRITE_DOCUMENT_FUNCTION,
} from '../../src/domain/functionNames';
import { instanceIdFor } from '../../src/domain/ids';
import type { ResizeOrchestrationInput, ResizeOutcome, SizeSpec, SourceRef } from '../../src/domain/types';
import { resizeImageOrchestrator } from '../../src/orchestrators/resizeImageOrchestrator';
import { unregisteredOutcome } from '../../src/orchestrators/registeredRound';
import { activityCall, mediumSpec, thumbSpec, TWO_ATTEMPTS } from './support/fixtures';
import { HistoryBuilder, runEpisode, type HistoryEvent } from './support/replay';

/**
 * A label removed from IMAGE_SIZES (and not retired) while an instance that planned it runs: the Durable host
 * fails the whole orchestration when asked to schedule an activity it does not know, so every fan-out round
 * first asks `findUnregisteredSizes` and never schedules what this deployment lacks.
 */
const source: SourceRef = {
  container: 'images-unprocessed',
  blobName: 'crash4/16.jpg',
  eTag: '"0x8DCAFE0016"',
  sequencer: '00000000000000000000000000000001',
  contentLength: 9151,
  contentType: 'image/jpeg',
};
const thumb = thumbSpec;
const medium = mediumSpec;
const TRANSIENT = TWO_ATTEMPTS;
const input: ResizeOrchestrationInput = {
  source,
  sizes: [thumb, medium],
  retry: { transient: TRANSIENT, redriveDelaysSeconds: [300] },
  checksRegistration: true,
};
const instanceId = instanceIdFor(source.container, source.blobName, source.eTag);

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
        blobName: `crash4/16.jpg/8dcafe001600/${size.label}.jpg`,
        url: `http://127.0.0.1:10000/devstoreaccount1/images-processed/crash4/16.jpg/8dcafe001600/${size.label}.jpg`,
        sizeBytes: 1000 + size.width,
        eTag: `"0x8D${size.label}"`,
        lastModified: '2026-11-24T04:00:05.000Z',
        createdAt: '2026-11-24T04:00:05.000Z',
      },
    ],
    errors: [],
    source: { format: 'JPEG', width: 1500, height: 1000, length: 9151, contentType: 'image/jpeg' },
  };
}

const findAction = (labels: string[]) =>
  activityCall(FIND_UNREGISTERED_SIZES_FUNCTION, TRANSIENT, {
    instanceId,
    blobName: source.blobName,
    labels,
  });
const resizeAction = (size: SizeSpec) =>
  activityCall(resizeFunctionName(size.label), TRANSIENT, { source, size, instanceId });
const writeAction = (outcomes: ResizeOutcome[]) =>
  activityCall(WRITE_DOCUMENT_FUNCTION, TRANSIENT, { instanceId, source, outcomes });

function run(history: readonly HistoryEvent[], start: ResizeOrchestrationInput = input) {
  return runEpisode(resizeImageOrchestrator, instanceId, start, history);
}

/** Asked (id 0), told `medium` is missing, thumb scheduled (id 1) and done, the first write is id 2. */
function mediumMissing(): HistoryBuilder {
  return new HistoryBuilder()
    .started(ORCHESTRATOR_FUNCTION, input)
    .episodeEnd([[0, FIND_UNREGISTERED_SIZES_FUNCTION]])
    .episode()
    .completed(0, ['medium'])
    .episodeEnd([[1, 'resize-thumb']])
    .episode()
    .completed(1, ok(thumb));
}

describe('a planned size this deployment does not register', () => {
  it('asks before the fan-out, schedules only registered sizes, and writes a partial document naming the fix', async () => {
    const first = await run(new HistoryBuilder().started(ORCHESTRATOR_FUNCTION, input).events);
    expect(first.state.actions).toEqual([[findAction(['thumb', 'medium'])]]);

    const asked = new HistoryBuilder()
      .started(ORCHESTRATOR_FUNCTION, input)
      .episodeEnd([[0, FIND_UNREGISTERED_SIZES_FUNCTION]])
      .episode()
      .completed(0, ['medium']);
    const scheduling = await run(asked.events);
    expect(scheduling).toMatchObject({ ok: true });
    // resize-medium is never scheduled: the host would fail the whole instance for it.
    expect(scheduling.state.actions).toEqual([
      [findAction(['thumb', 'medium']), { actionType: 12, compoundActions: [resizeAction(thumb)] }],
    ]);
    expect(scheduling.logs.join('\n')).toMatch(
      /planned sizes not registered in this deployment; set RETIRED_SIZES.*"functions":\["resize-medium"\].*"instanceId":"img-/,
    );

    const writing = await run(mediumMissing().events);
    const missing = unregisteredOutcome(medium);
    expect(missing).toEqual({
      ok: false,
      label: 'medium',
      variants: [],
      errors: [
        {
          label: 'medium',
          code: 'internal',
          message: expect.stringMatching(
            /^resize-medium is not registered in this deployment.*RETIRED_SIZES/,
          ),
        },
      ],
    });
    expect(writing.state.actions.at(-1)?.at(-1)).toEqual(writeAction([ok(thumb), missing]));
    // The warning is written once, by the episode that learnt it, never by a replay.
    expect(writing.logs.join('\n')).not.toMatch(/not registered/);
  });

  it('asks again before the re-drive round: once the label is retired, the round runs it and rewrites the document', async () => {
    const history = mediumMissing()
      .episodeEnd([[2, WRITE_DOCUMENT_FUNCTION]])
      .episode()
      .completed(2, { ok: true, documentId: 'doc-16', status: 'partial', replacedVersion: false });
    const waiting = await run(history.events);
    expect(waiting.state.customStatus).toMatchObject({ stage: 'waiting-to-redrive', sizes: ['medium'] });

    history.episodeEnd([], [3]).episode().timerFired(3);
    const asking = await run(history.events);
    expect(asking.state.actions.at(-1)?.at(-1)).toEqual(findAction(['medium']));

    history
      .episodeEnd([[4, FIND_UNREGISTERED_SIZES_FUNCTION]])
      .episode()
      .completed(4, []);
    const rerun = await run(history.events);
    expect(rerun.state.actions.at(-1)?.at(-1)).toEqual({
      actionType: 12,
      compoundActions: [resizeAction(medium)],
    });

    history
      .episodeEnd([[5, 'resize-medium']])
      .episode()
      .completed(5, ok(medium));
    const rewriting = await run(history.events);
    expect(rewriting.state.actions.at(-1)?.at(-1)).toEqual(writeAction([ok(thumb), ok(medium)]));

    history
      .episodeEnd([[6, WRITE_DOCUMENT_FUNCTION]])
      .episode()
      .completed(6, { ok: true, documentId: 'doc-16', status: 'completed', replacedVersion: false });
    const done = await run(history.events);
    expect(done.state).toMatchObject({
      isDone: true,
      output: { status: 'completed', variants: 2, errors: [] },
    });
  });

  it('the placeholder still runs in the same fan-out, after the registered sizes', async () => {
    const withPlaceholder: ResizeOrchestrationInput = { ...input, placeholder: true };
    const asked = new HistoryBuilder()
      .started(ORCHESTRATOR_FUNCTION, withPlaceholder)
      .episodeEnd([[0, FIND_UNREGISTERED_SIZES_FUNCTION]])
      .episode()
      .completed(0, ['medium']);
    const scheduling = await run(asked.events, withPlaceholder);
    expect(scheduling.state.actions).toEqual([
      [
        findAction(['thumb', 'medium']),
        {
          actionType: 12,
          compoundActions: [
            resizeAction(thumb),
            {
              functionName: PLACEHOLDER_FUNCTION,
              actionType: 1,
              retryOptions: TRANSIENT,
              input: { source, instanceId },
            },
          ],
        },
      ],
    ]);
  });

  it('an instance started before the check (no checksRegistration) replays its plain fan-out', async () => {
    const legacy: ResizeOrchestrationInput = { ...input, checksRegistration: undefined };
    delete legacy.checksRegistration;
    const first = await run(new HistoryBuilder().started(ORCHESTRATOR_FUNCTION, legacy).events, legacy);
    expect(first.state.actions).toEqual([
      [{ actionType: 12, compoundActions: [resizeAction(thumb), resizeAction(medium)] }],
    ]);
  });
});
