import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { getSettings } from '../config/settings';
import { ArgumentError } from '../domain/errors';
import { BACKFILL_MODES } from '../domain/backfill';
import { START_BACKFILL_RUNS_FUNCTION } from '../domain/functionNames';
import { invocationLogger } from '../logging';
import { getImagesContainer } from '../storage/cosmosClient';
import { cosmosDocumentStore } from '../storage/documentStore';
import { startBackfillRuns, type StartRunsInput, type StartRunsResult } from './backfill/startRuns';

function assertInput(value: unknown): StartRunsInput {
  const input = (typeof value === 'object' && value !== null ? value : {}) as Partial<StartRunsInput>;
  if (
    typeof input.backfillInstanceId !== 'string' ||
    typeof input.container !== 'string' ||
    !BACKFILL_MODES.includes(input.only as never) ||
    !Array.isArray(input.sizes) ||
    input.sizes.length === 0 ||
    !Array.isArray(input.blobs)
  ) {
    throw new ArgumentError(
      'the startBackfillRuns input',
      '{backfillInstanceId, container, only, sizes, blobs}',
      value,
    );
  }
  return input as StartRunsInput;
}

/** Reads each image's document, decides, and starts the runs the decision asks for (idempotently). */
export async function startBackfillRunsHandler(
  raw: unknown,
  context: InvocationContext,
): Promise<StartRunsResult> {
  const input = assertInput(raw);
  const store = cosmosDocumentStore(getImagesContainer());
  return startBackfillRuns(input, {
    readDocument: async (id) => {
      // A tombstone (the source was deleted) is no document: the listing decides whether the blob exists.
      const entry = await store.read(id);
      return entry?.kind === 'document' ? entry.document : undefined;
    },
    replacedGraceSeconds: getSettings().replacedDerivativesGraceSeconds,
    client: df.getClient(context),
    log: invocationLogger(context, { instanceId: input.backfillInstanceId }),
  });
}

df.app.activity(START_BACKFILL_RUNS_FUNCTION, {
  handler: startBackfillRunsHandler,
  extraInputs: [df.input.durableClient()],
});
