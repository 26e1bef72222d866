import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { HAND_OFF_FUNCTION } from '../domain/functionNames';
import type { HandOffResult } from '../domain/types';
import { assertHandOffInput } from './inputs';
import { handOffToCurrentVersion } from '../lifecycle/handOff';
import { invocationLogger } from '../logging';
import { getImagesBlobService } from '../storage/blobServiceClient';

/** The hand-off activity (see lifecycle/handOff.ts): it starts an orchestration, so it has a durable client. */
async function handler(input: unknown, context: InvocationContext): Promise<HandOffResult> {
  const handOff = assertHandOffInput(input);
  const { source } = handOff.orchestration;
  const log = invocationLogger(context, { blobName: source.blobName });
  const result = await handOffToCurrentVersion(handOff, {
    blobService: getImagesBlobService(),
    client: df.getClient(context),
  });
  log.info('source version moved on after the event', {
    eventETag: source.eTag,
    ...(result.ok ? { handedOffTo: result.instanceId, started: result.started } : { reason: result.reason }),
  });
  return result;
}

export const handOffActivity = df.app.activity(HAND_OFF_FUNCTION, {
  handler,
  extraInputs: [df.input.durableClient()],
});
