import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { OrchestrationRuntimeStatus } from 'durable-functions';
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
import { documentIdFor, instanceIdFor, unquoteETag } from '../../domain/ids';
import type { ImageDocument, ResizeOrchestrationInput, SizeSpec } from '../../domain/types';
import { retryPlanFor } from '../../orchestrators/retryPolicy';
import { findInstanceStatus } from '../../triggers/instanceStatus';

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
}

export interface StartRunsDeps {
  readDocument(id: string): Promise<ImageDocument | undefined>;
  client: Pick<DurableClient, 'getStatus' | 'startNew'>;
}

/**
 * Blobs decided at once. Each costs one Cosmos point read and one or two status reads (plus a start), all
 * I/O: 16 keeps a batch of 2,000 at about 2,000 / 16 x (3 round trips) of latency instead of 2,000 x 3,
 * and leaves the worker's connection pool (and Cosmos' request rate) far from saturated.
 */
export const START_CONCURRENCY = 16;

const IN_FLIGHT: ReadonlySet<string> = new Set([
  OrchestrationRuntimeStatus.Pending,
  OrchestrationRuntimeStatus.Running,
  OrchestrationRuntimeStatus.ContinuedAsNew,
  OrchestrationRuntimeStatus.Suspended,
]);

/** Custom-status stages of a run that has not written its document yet (src/orchestrators/resizeImageOrchestrator.ts). */
const BEFORE_DOCUMENT: ReadonlySet<unknown> = new Set([
  undefined,
  'decoding',
  'resizing',
  'writing-document',
]);

/**
 * Whether the upload's own run of this version will still write every size in `sizes`: it is in flight, its
 * document is not written yet, and its plan (input) has every label. A run already past its write (waiting on
 * the replaced-derivatives cleanup timer or a re-drive), or planned without a size, produces none of them.
 */
export function willProduce(
  status: DurableOrchestrationStatus | undefined,
  sizes: readonly SizeSpec[],
): boolean {
  if (status === undefined || !IN_FLIGHT.has(status.runtimeStatus)) return false;
  const custom = status.customStatus as { stage?: unknown } | null | undefined;
  if (!BEFORE_DOCUMENT.has(custom?.stage ?? undefined)) return false;
  const planned = (status.input as Partial<ResizeOrchestrationInput> | null | undefined)?.sizes;
  if (!Array.isArray(planned)) return false;
  const labels = new Set(planned.map((size) => size.label));
  return sizes.every((size) => labels.has(size.label));
}

async function startOne(input: StartRunsInput, blob: ListedBlob, deps: StartRunsDeps): Promise<StartCode> {
  const { container } = input;
  const instanceId = backfillRunInstanceId(input.backfillInstanceId, container, blob.name, blob.eTag);
  // At least once: this activity may run again after a crash. The run it started then is found by its id before
  // any decision, because by now that run may have written the document and the decision would say up to date.
  const [existing, document] = await Promise.all([
    findInstanceStatus(deps.client, instanceId),
    deps.readDocument(documentIdFor(container, blob.name)),
  ]);
  if (existing !== undefined) return 's';
  const decision = decideBackfill(input.only, blob, document, input.sizes);
  if (!decision.run) return 'u';

  const eventRun = await findInstanceStatus(deps.client, instanceIdFor(container, blob.name, blob.eTag), {
    showInput: true,
  });
  // A second run now would process the same version twice; the backfill decides again once that run is over.
  if (willProduce(eventRun, decision.sizes)) return 'w';

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
    { sizes: decision.sizes, retry: BACKFILL_RUN_RETRY },
  );
  await deps.client.startNew(ORCHESTRATOR_FUNCTION, { instanceId, input: orchestrationInput });
  return 's';
}

/** Decides and starts, `START_CONCURRENCY` blobs at a time; one code per blob in input order. */
export async function startBackfillRuns(
  input: StartRunsInput,
  deps: StartRunsDeps,
  concurrency: number = START_CONCURRENCY,
): Promise<StartRunsResult> {
  const codes = await mapBounded(input.blobs, concurrency, (blob) => startOne(input, blob, deps));
  return { codes: codes.join('') };
}
