import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityHandler } from 'durable-functions';
import { WRITE_DOCUMENT_FUNCTION } from '../domain/functionNames';
import type { WriteDocumentInput, WriteDocumentResult } from '../domain/types';
import { invocationLogger } from '../logging';
import { getDerivativesBlobService, getImagesBlobService } from '../storage/blobServiceClient';
import { getSettings } from '../config/settings';
import { derivativeState } from '../lifecycle/droppedDerivatives';
import { catalogOf } from './document/catalog';
import { blobClientOf, currentETag } from '../storage/blobs';
import { getImagesContainer } from '../storage/cosmosClient';
import { cosmosDocumentStore } from '../storage/documentStore';
import { disposeRefusedSource, refusesSource } from '../lifecycle/refusedSource';
import { writeImageDocumentWithGuard, type WriteDocumentDeps } from './document/writeDocument';
import { assertWriteDocumentInput } from './inputs';

/** Marks a refused source for the lifecycle rule that deletes it, or deletes it (see lifecycle/refusedSource.ts). */
export type MarkRefused = (
  source: WriteDocumentInput['source'],
  outcomes: WriteDocumentInput['outcomes'],
) => Promise<'tagged' | 'deleted' | 'absent' | 'changed'>;

/** The activity handler; dependencies are resolved on first use so importing the module builds no clients. */
export function createWriteImageDocumentHandler(
  getDeps: () => WriteDocumentDeps,
  getMarkRefused: () => MarkRefused = defaultMarkRefused,
): ActivityHandler {
  return async (rawInput: unknown, context: InvocationContext): Promise<WriteDocumentResult> => {
    const input: WriteDocumentInput = assertWriteDocumentInput(rawInput);
    const log = invocationLogger(context, { blobName: input.source.blobName, instanceId: input.instanceId });
    try {
      const result = await writeImageDocumentWithGuard(input, getDeps());
      if (result.ok) log.info('document written', { documentId: result.documentId, status: result.status });
      else log.info('document not written', { documentId: result.documentId, reason: result.reason });
      // After the document says why: the refused upload is tagged so the lifecycle rule deletes it. Only the
      // version this document describes (a skipped write left the source to a newer version's run).
      if (result.ok && result.status === 'failed' && refusesSource(input.outcomes)) {
        const disposed = await getMarkRefused()(input.source, input.outcomes);
        log.info('refused source disposed of', { outcome: disposed });
      }
      return result;
    } catch (error) {
      // Thrown errors are transient (throttling, 5xx, network, a write race that never settled): Durable retries.
      log.error('document write failed', { error });
      throw error;
    }
  };
}

let productionDeps: WriteDocumentDeps | undefined;

function defaultDeps(): WriteDocumentDeps {
  productionDeps ??= {
    store: cosmosDocumentStore(getImagesContainer()),
    currentSourceETag: ({ source }) =>
      currentETag(blobClientOf(getImagesBlobService(), source.container, source.blobName)),
    derivativeState: (blobName) =>
      derivativeState(blobClientOf(getDerivativesBlobService(), getSettings().processedContainer, blobName)),
    catalog: catalogOf(getSettings()),
    now: () => new Date(),
  };
  return productionDeps;
}

function defaultMarkRefused(): MarkRefused {
  return (source, outcomes) =>
    disposeRefusedSource(
      blobClientOf(getImagesBlobService(), source.container, source.blobName),
      source.eTag,
      outcomes,
    );
}

export const writeImageDocumentActivity = df.app.activity(WRITE_DOCUMENT_FUNCTION, {
  handler: createWriteImageDocumentHandler(defaultDeps),
});
