import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { OrchestrationRuntimeStatus } from 'durable-functions';
import { instanceIdFor } from '../domain/ids';
import type { ResizeOrchestrationInput, SizeSpec } from '../domain/types';
import { listInstancesByPrefix } from './instanceStatus';

/** Not ended: a run in one of these states may still render and write. */
const IN_FLIGHT_STATUSES: readonly OrchestrationRuntimeStatus[] = [
  OrchestrationRuntimeStatus.Pending,
  OrchestrationRuntimeStatus.Running,
  OrchestrationRuntimeStatus.ContinuedAsNew,
  OrchestrationRuntimeStatus.Suspended,
];
const IN_FLIGHT: ReadonlySet<string> = new Set(IN_FLIGHT_STATUSES);

/** Custom-status stages of a run that has not written its document yet (src/orchestrators/resizeImageOrchestrator.ts). */
const BEFORE_DOCUMENT: ReadonlySet<unknown> = new Set([
  undefined,
  'decoding',
  'resizing',
  'writing-document',
]);

/**
 * Whether this run of a version will still write every size in `sizes`: it is in flight, its document is not
 * written yet, and its plan (input) has every label. A run already past its write (waiting on the
 * replaced-derivatives cleanup timer or a re-drive), or planned without a size, produces none of them.
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

export type VersionRunsClient = Pick<DurableClient, 'createHttpManagementPayload'>;

/**
 * The in-flight run of this source version that will write every size in `sizes`, if any (the first by
 * instance id when several would). Every run of a version has an id starting with `instanceIdFor(version)`:
 * the upload's own run is that id, a reprocess adds `-r…`, a backfill `-b…`; so one `instanceIdPrefix` query
 * finds them all, whoever started them. The Durable extension inserts an instance's row as `Pending` before
 * `startNew` returns, so a run started before this query is seen by it; two starters asking at the very same
 * moment can still both start (check-then-start is not atomic), which only costs a second render of the same
 * bytes: derivative names are per version, and the document writer merges.
 */
export async function runThatWillProduce(
  client: VersionRunsClient,
  version: { container: string; blobName: string; eTag: string },
  sizes: readonly SizeSpec[],
): Promise<DurableOrchestrationStatus | undefined> {
  const runs = await listInstancesByPrefix(client, {
    instanceIdPrefix: instanceIdFor(version.container, version.blobName, version.eTag),
    runtimeStatus: IN_FLIGHT_STATUSES,
    showInput: true,
  });
  return runs
    .filter((run) => willProduce(run, sizes))
    .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0))[0];
}
