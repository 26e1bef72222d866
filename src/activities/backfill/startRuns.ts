import type { DurableClient } from 'durable-functions';
import {
  backfillRunInstanceId,
  decideBackfill,
  type BackfillMode,
  type ListedBlob,
  type StartCode,
} from '../../domain/backfill';
import { mapBounded } from '../../domain/boundedMap';
import { ORCHESTRATOR_FUNCTION } from '../../domain/functionNames';
import { newRunInput } from '../../domain/runInput';
import { documentIdFor, unquoteETag } from '../../domain/ids';
import type { ImageDocument, SizeSpec } from '../../domain/types';
import type { InvocationLogger } from '../../logging';
import { retryPlanFor } from '../../orchestrators/retryPolicy';
import { findInstanceStatus } from '../../triggers/instanceStatus';
import { runThatWillProduce } from '../../triggers/versionRuns';

/** The transient retries of every run, and no re-drive rounds (see `startOne`). */
const BACKFILL_RUN_RETRY = retryPlanFor([]);

/** Input of `startBackfillRuns`: one batch of listed blobs, at most the free in-flight slots. */
export interface StartRunsInput {
  backfillInstanceId: string;
  container: string;
  only: BackfillMode;
  sizes: SizeSpec[];
  blobs: ListedBlob[];
}

/** One `StartCode` per input blob, in input order (see src/domain/backfill.ts). */
export interface StartRunsResult {
  codes: string;
  /**
   * The run each `w` waits for (any run of the same version: the upload's own, a reprocess, another
   * backfill's), in the order of the `w` codes; a few ids, so the output stays small. Always present in a
   * result of this code, where every `s` run is `backfillRunInstanceId(...)`. Absent in results recorded
   * before runs moved under their version's id: the orchestration then replays with the ids those runs had
   * (`legacyBackfillRunInstanceId`, and the upload's run for `w`).
   */
  waits?: string[];
}

export interface StartRunsDeps {
  readDocument(id: string): Promise<ImageDocument | undefined>;
  /** `REPLACED_DERIVATIVES_GRACE_SECONDS` (seconds), captured in each run's input as the other starters do. */
  replacedGraceSeconds: number;
  client: Pick<DurableClient, 'getStatus' | 'startNew' | 'createHttpManagementPayload'>;
  log?: InvocationLogger;
}

interface Started {
  code: StartCode;
  /** The run waited for (`w`). */
  waitsFor?: string;
}

/**
 * Blobs decided at once. Each costs one Cosmos point read and one or two status reads (plus a start), all
 * I/O: 16 keeps a batch of 2,000 at about 2,000 / 16 x (3 round trips) of latency instead of 2,000 x 3,
 * and leaves the worker's connection pool (and Cosmos' request rate) far from saturated.
 */
export const START_CONCURRENCY = 16;

async function startOne(input: StartRunsInput, blob: ListedBlob, deps: StartRunsDeps): Promise<Started> {
  const { container } = input;
  const instanceId = backfillRunInstanceId(input.backfillInstanceId, container, blob.name, blob.eTag);
  // At least once: this activity may run again after a crash. The run it started then is found by its id before
  // any decision, because by now that run may have written the document and the decision would say up to date.
  const [existing, document] = await Promise.all([
    findInstanceStatus(deps.client, instanceId),
    deps.readDocument(documentIdFor(container, blob.name)),
  ]);
  if (existing !== undefined) return { code: 's' };
  const decision = decideBackfill(input.only, blob, document, input.sizes);
  if (!decision.run) return { code: 'u' };

  // Any run of this version (the upload's own, a reprocess, another backfill's) that will still write these
  // sizes: a second run now would render them twice. The backfill decides again once that run is over.
  const other = await runThatWillProduce(
    deps.client,
    { container, blobName: blob.name, eTag: blob.eTag },
    decision.sizes,
  );
  if (other !== undefined) {
    deps.log
      ?.with({ blobName: blob.name })
      .info('backfill waits: another run of this version will write the sizes', {
        reason: 'run-of-version-in-flight',
        runId: other.instanceId,
        sizes: decision.sizes.map((size) => size.label),
      });
    return { code: 'w', waitsFor: other.instanceId };
  }

  const sameVersion = document !== undefined && unquoteETag(document.sourceETag) === unquoteETag(blob.eTag);
  const orchestrationInput = newRunInput(
    {
      container,
      blobName: blob.name,
      eTag: blob.eTag,
      // As for a reprocess: the event's sequencer is known only for the version the document describes;
      // otherwise the writer is told "order unknown" and checks the source's current eTag.
      sequencer: sameVersion ? document.sourceSequencer : '',
      contentLength: blob.contentLength,
      contentType: blob.contentType,
    },
    // No re-drive rounds (hours of durable timers) inside a backfill's run: the wait would hold a backfill slot.
    // Sizes that end `internal` are recorded, and a later `only: "failed"` backfill is their re-drive.
    { sizes: decision.sizes, retry: BACKFILL_RUN_RETRY, replacedGraceSeconds: deps.replacedGraceSeconds },
  );
  await deps.client.startNew(ORCHESTRATOR_FUNCTION, { instanceId, input: orchestrationInput });
  return { code: 's' };
}

/** Decides and starts, `START_CONCURRENCY` blobs at a time; one code per blob in input order. */
export async function startBackfillRuns(
  input: StartRunsInput,
  deps: StartRunsDeps,
  concurrency: number = START_CONCURRENCY,
): Promise<StartRunsResult> {
  const started = await mapBounded(input.blobs, concurrency, (blob) => startOne(input, blob, deps));
  return {
    codes: started.map((one) => one.code).join(''),
    waits: started.flatMap((one) => (one.waitsFor === undefined ? [] : [one.waitsFor])),
  };
}
