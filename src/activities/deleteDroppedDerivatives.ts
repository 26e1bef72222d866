import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { getSettings } from '../config/settings';
import { DELETE_DROPPED_DERIVATIVES_FUNCTION } from '../domain/functionNames';
import { deleteDroppedDerivatives } from '../lifecycle/droppedDerivatives';
import { invocationLogger } from '../logging';
import { getDerivativesBlobService } from '../storage/blobServiceClient';
import { getImagesContainer } from '../storage/cosmosClient';
import { cosmosDocumentStore } from '../storage/documentStore';
import { assertDeleteDroppedInput } from './inputs';
import { catalogOf } from './document/catalog';

/**
 * Activity: a run's source version and what its plan produced -> the derivatives of that version it no longer
 * produces, deleted (lifecycle/droppedDerivatives.ts).
 */
async function handler(
  input: unknown,
  context: InvocationContext,
): Promise<{ deleted: number; kept: number }> {
  const checked = assertDeleteDroppedInput(input);
  const log = invocationLogger(context, {
    blobName: checked.source.blobName,
    instanceId: checked.instanceId,
  });
  const settings = getSettings();
  const result = await deleteDroppedDerivatives(checked, {
    derivativeBlobService: getDerivativesBlobService(),
    processedContainer: settings.processedContainer,
    store: cosmosDocumentStore(getImagesContainer()),
    catalog: catalogOf(settings),
  });
  if (result.deleted.length > 0) log.info('dropped derivatives deleted', { deleted: result.deleted });
  return { deleted: result.deleted.length, kept: result.kept };
}

export const deleteDroppedDerivativesActivity = df.app.activity(DELETE_DROPPED_DERIVATIVES_FUNCTION, {
  handler,
});
