import type { InvocationContext } from '@azure/functions';
import type { ActivityHandler } from 'durable-functions';
import type { ResizeOutcome } from '../../domain/types';
import { invocationLogger } from '../../logging';
import { assertResizeActivityInput } from '../inputs';
import { resizeToOutcome, type ResizeDeps } from './resizeToOutcome';

/**
 * The handler shared by every `resize-{label}` activity. The box comes from the input (the plan captured
 * when the orchestration started), never from current settings, so replays and in-flight runs stay stable.
 */
export function createResizeHandler(getDeps: () => ResizeDeps): ActivityHandler {
  return async (rawInput: unknown, context: InvocationContext): Promise<ResizeOutcome> => {
    const input = assertResizeActivityInput(rawInput);
    const log = invocationLogger(context, {
      blobName: input.source.blobName,
      instanceId: input.instanceId,
      label: input.size.label,
    });
    try {
      return await resizeToOutcome(input, getDeps(), log);
    } catch (error) {
      log.error('resize failed; Durable will retry', { error });
      throw error;
    }
  };
}
