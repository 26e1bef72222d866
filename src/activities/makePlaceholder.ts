import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityHandler } from 'durable-functions';
import { getSettings } from '../config/settings';
import { PLACEHOLDER_FUNCTION } from '../domain/functionNames';
import type { PlaceholderOutcome } from '../domain/types';
import { makePlaceholder, makePlaceholderFromIntermediate } from '../imaging';
import { invocationLogger } from '../logging';
import { getImagesBlobService } from '../storage/blobServiceClient';
import { getImagesContainer } from '../storage/cosmosClient';
import { cosmosDocumentStore } from '../storage/documentStore';
import { assertPlaceholderActivityInput } from './inputs';
import { placeholderToOutcome, type PlaceholderDeps } from './placeholder/placeholderToOutcome';

/** The activity handler; dependencies are resolved on first use so importing the module builds no clients. */
export function createPlaceholderHandler(getDeps: () => PlaceholderDeps): ActivityHandler {
  return async (rawInput: unknown, context: InvocationContext): Promise<PlaceholderOutcome> => {
    const input = assertPlaceholderActivityInput(rawInput);
    const log = invocationLogger(context, { blobName: input.source.blobName, instanceId: input.instanceId });
    try {
      return await placeholderToOutcome(input, getDeps(), log);
    } catch (error) {
      log.warn('placeholder failed; Durable will retry', { error });
      throw error;
    }
  };
}

let productionDeps: PlaceholderDeps | undefined;

function defaultDeps(): PlaceholderDeps {
  const settings = getSettings();
  productionDeps ??= {
    blobService: getImagesBlobService(),
    limits: { maxSourceBytes: settings.maxSourceBytes, maxSourcePixels: settings.maxSourcePixels },
    make: makePlaceholder,
    makeFromIntermediate: makePlaceholderFromIntermediate,
    store: cosmosDocumentStore(getImagesContainer()),
  };
  return productionDeps;
}

export const placeholderActivity = df.app.activity(PLACEHOLDER_FUNCTION, {
  handler: createPlaceholderHandler(defaultDeps),
});
