import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { getSettings } from '../config/settings';
import { DELETE_UNUSED_DERIVATIVES_FUNCTION } from '../domain/functionNames';
import { deleteUnusedDerivatives } from '../lifecycle/unusedDerivatives';
import { assertSourcePath } from './inputs';
import { invocationLogger } from '../logging';
import { getDerivativesBlobService, getImagesBlobService } from '../storage/blobServiceClient';
import { getImagesContainer } from '../storage/cosmosClient';
import { cosmosDocumentStore } from '../storage/documentStore';

/** Activity: `{ container, blobName }` of a source -> the unused derivatives deleted (lifecycle/unusedDerivatives.ts). */
async function handler(
  input: unknown,
  context: InvocationContext,
): Promise<{ deleted: number; kept: number }> {
  const path = assertSourcePath(input);
  const log = invocationLogger(context, { blobName: path.blobName });
  const result = await deleteUnusedDerivatives(path, {
    blobService: getImagesBlobService(),
    derivativeBlobService: getDerivativesBlobService(),
    processedContainer: getSettings().processedContainer,
    store: cosmosDocumentStore(getImagesContainer()),
  });
  log.info('unused derivatives deleted', { deleted: result.deleted, kept: result.kept });
  return { deleted: result.deleted.length, kept: result.kept };
}

export const deleteUnusedDerivativesActivity = df.app.activity(DELETE_UNUSED_DERIVATIVES_FUNCTION, {
  handler,
});
