import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityHandler } from 'durable-functions';
import { getSettings } from '../config/settings';
import { WRITE_DOCUMENT_FUNCTION } from '../domain/functionNames';
import type { WriteDocumentInput, WriteDocumentResult } from '../domain/types';
import { invocationLogger } from '../logging';
import { getImagesBlobService } from '../storage/blobServiceClient';
import { blobClientOf, currentETag } from '../storage/blobs';
import { getImagesContainer } from '../storage/cosmosClient';
import { cosmosDocumentStore } from '../storage/documentStore';
import { derivativeDeleter } from './document/leftoverDerivatives';
import { writeImageDocumentWithGuard, type WriteDocumentDeps } from './document/writeDocument';
import { assertWriteDocumentInput } from './inputs';

/** The activity handler; dependencies are resolved on first use so importing the module builds no clients. */
export function createWriteImageDocumentHandler(getDeps: () => WriteDocumentDeps): ActivityHandler {
  return async (rawInput: unknown, context: InvocationContext): Promise<WriteDocumentResult> => {
    const input: WriteDocumentInput = assertWriteDocumentInput(rawInput);
    const log = invocationLogger(context, { blobName: input.source.blobName, instanceId: input.instanceId });
    try {
      const result = await writeImageDocumentWithGuard(input, getDeps(), log);
      if (result.ok) log.info('document written', { documentId: result.documentId, status: result.status });
      else log.info('document not written', { documentId: result.documentId, reason: result.reason });
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
    deleteDerivative: derivativeDeleter(getImagesBlobService(), getSettings().processedContainer),
    now: () => new Date(),
  };
  return productionDeps;
}

export const writeImageDocumentActivity = df.app.activity(WRITE_DOCUMENT_FUNCTION, {
  handler: createWriteImageDocumentHandler(defaultDeps),
});
