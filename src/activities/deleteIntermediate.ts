import type { InvocationContext } from '@azure/functions';
import type { BlobServiceClient } from '@azure/storage-blob';
import * as df from 'durable-functions';
import type { ActivityHandler } from 'durable-functions';
import { getImagesBlobService } from '../storage/blobServiceClient';
import { invocationLogger } from '../logging';
import { deleteIntermediate } from '../storage/intermediateBlob';
import { deleteIntermediateInput } from './inputs';
import { DELETE_INTERMEDIATE_FUNCTION } from '../domain/functionNames';

/** Deletes a run's intermediate when the run ends; returns whether there was one to delete. */
export function createDeleteIntermediateHandler(getBlobService: () => BlobServiceClient): ActivityHandler {
  return async (rawInput: unknown, context: InvocationContext): Promise<boolean> => {
    const { ref, run } = deleteIntermediateInput(rawInput);
    const deleted = await deleteIntermediate(getBlobService(), ref);
    invocationLogger(context, run).info('intermediate deleted', { intermediate: ref.blobName, deleted });
    return deleted;
  };
}

export const deleteIntermediateActivity = df.app.activity(DELETE_INTERMEDIATE_FUNCTION, {
  handler: createDeleteIntermediateHandler(getImagesBlobService),
});
