import type { DurableClient } from 'durable-functions';
import { OrchestrationRuntimeStatus } from 'durable-functions';
import {
  backfillRunInstanceId,
  decideBackfill,
  type BackfillMode,
  type ListedBlob,
} from '../../domain/backfill';
import { ORCHESTRATOR_FUNCTION } from '../../domain/functionNames';
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

/** Per blob, in input order: the run started (or found started), or why none was. */
export type StartRunResult =
  | { blobName: string; started: true; instanceId: string }
  | { blobName: string; started: false; reason: string };

export interface StartRunsDeps {
  readDocument(id: string): Promise<ImageDocument | undefined>;
  client: Pick<DurableClient, 'getStatus' | 'startNew'>;
}

const IN_FLIGHT: ReadonlySet<string> = new Set([
  OrchestrationRuntimeStatus.Pending,
  OrchestrationRuntimeStatus.Running,
  OrchestrationRuntimeStatus.ContinuedAsNew,
  OrchestrationRuntimeStatus.Suspended,
]);

async function startOne(
  input: StartRunsInput,
  blob: ListedBlob,
  deps: StartRunsDeps,
): Promise<StartRunResult> {
  const { container } = input;
  const document = await deps.readDocument(documentIdFor(container, blob.name));
  const decision = decideBackfill(input.only, blob, document, input.sizes);
  if (!decision.run) return { blobName: blob.name, started: false, reason: decision.reason };

  const instanceId = backfillRunInstanceId(
    input.backfillInstanceId,
    container,
    blob.name,
    blob.eTag,
    decision.sizes,
  );
  // At least once: this activity may run again after a crash. The deterministic id finds the run it started.
  if ((await findInstanceStatus(deps.client, instanceId)) !== undefined) {
    return { blobName: blob.name, started: true, instanceId };
  }
  // The upload's own run of this version is still working: it will write every size; a second run would
  // process the same version twice.
  const eventRun = await findInstanceStatus(deps.client, instanceIdFor(container, blob.name, blob.eTag));
  if (eventRun !== undefined && IN_FLIGHT.has(eventRun.runtimeStatus)) {
    return { blobName: blob.name, started: false, reason: 'event-run-in-flight' };
  }
  const sameVersion = document !== undefined && unquoteETag(document.sourceETag) === unquoteETag(blob.eTag);
  const orchestrationInput: ResizeOrchestrationInput = {
    source: {
      container,
      blobName: blob.name,
      eTag: blob.eTag,
      // As for a reprocess: the event's sequencer is known only for the version the document describes;
      // otherwise the writer is told "order unknown" and checks the source's current eTag.
      sequencer: sameVersion ? document.sourceSequencer : '',
      contentLength: blob.contentLength,
      contentType: blob.contentType,
    },
    sizes: decision.sizes,
    // No re-drive rounds (hours of durable timers) inside a backfill's run: the wait would hold a backfill slot.
    // Sizes that end `internal` are recorded, and a later `only: "failed"` backfill is their re-drive.
    retry: BACKFILL_RUN_RETRY,
    placeholder: true,
  };
  await deps.client.startNew(ORCHESTRATOR_FUNCTION, { instanceId, input: orchestrationInput });
  return { blobName: blob.name, started: true, instanceId };
}

/** Decides and starts, one blob after the other (a batch is at most the in-flight bound). */
export async function startBackfillRuns(
  input: StartRunsInput,
  deps: StartRunsDeps,
): Promise<StartRunResult[]> {
  const results: StartRunResult[] = [];
  for (const blob of input.blobs) results.push(await startOne(input, blob, deps));
  return results;
}
