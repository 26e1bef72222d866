import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActivityHandler } from 'durable-functions';
import { getDerivativesBlobService, getImagesBlobService } from '../storage/blobServiceClient';
import { getSettings } from '../config/settings';
import type { PrepareSourceOutcome } from '../domain/types';
import { invocationLogger } from '../logging';
import { assertPrepareSourceInput } from './inputs';
import { PREPARE_SOURCE_FUNCTION } from '../domain/functionNames';
import { prepareToOutcome, type PrepareDeps } from './prepare/prepareToOutcome';

/** The activity handler; dependencies are resolved on first use so importing the module builds no clients. */
export function createPrepareSourceHandler(getDeps: () => PrepareDeps): ActivityHandler {
  return async (rawInput: unknown, context: InvocationContext): Promise<PrepareSourceOutcome> => {
    const input = assertPrepareSourceInput(rawInput);
    const log = invocationLogger(context, { blobName: input.source.blobName, instanceId: input.instanceId });
    try {
      const outcome = await prepareToOutcome(input, getDeps(), log);
      log.info('source prepared', {
        result: !outcome.ok
          ? outcome.error.code
          : 'intermediate' in outcome
            ? 'intermediate'
            : 'read the source',
      });
      return outcome;
    } catch (error) {
      log.error('prepare failed; Durable will retry', { error });
      throw error;
    }
  };
}

let productionDeps: PrepareDeps | undefined;

function defaultDeps(): PrepareDeps {
  const settings = getSettings();
  productionDeps ??= {
    blobService: getImagesBlobService(),
    scratchContainer: settings.scratchContainer,
    derivativeBlobService: getDerivativesBlobService(),
    processedContainer: settings.processedContainer,
    limits: { maxSourceBytes: settings.maxSourceBytes, maxSourcePixels: settings.maxSourcePixels },
  };
  return productionDeps;
}

/** Decode once: the step before the fan-out for sources whose decode does not shrink on load. */
export const prepareSourceActivity = df.app.activity(PREPARE_SOURCE_FUNCTION, {
  handler: createPrepareSourceHandler(defaultDeps),
});
