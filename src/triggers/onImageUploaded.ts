import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { EVENT_TRIGGER_FUNCTION, ORCHESTRATOR_FUNCTION } from '../domain/functionNames';
import { getSettings, type Settings } from '../config/settings';
import { instanceIdFor } from '../domain/ids';
import type { ResizeOrchestrationInput } from '../domain/types';
import { parseBlobCreatedEvent, type IgnoreReason } from '../events/blobCreatedEvent';
import { invocationLogger } from '../logging';
import { retryPlanFor } from '../orchestrators/retryPolicy';
import { findInstanceStatus, RESTARTABLE_STATUSES } from './instanceStatus';

export type InstanceStarter = Pick<DurableClient, 'getStatus' | 'startNew'>;

/** Filters that simply say "not for us" are routine; the others mean a broken or hostile publisher. */
const ROUTINE_REASONS: ReadonlySet<IgnoreReason> = new Set([
  'not-blob-created',
  'unsupported-api',
  'other-account',
  'other-container',
]);

function eventId(event: unknown): unknown {
  return typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
}

/**
 * Event Grid trigger: starts one orchestration per source version. Ignored events return normally (a throw
 * would make Event Grid redeliver junk for a day); failures talking to the task hub throw so it redelivers.
 */
export function createOnImageUploadedHandler(settings: () => Settings = getSettings) {
  return async (event: unknown, client: InstanceStarter, context: InvocationContext): Promise<void> => {
    const { images, unprocessedContainer, sizes, redriveDelaysSeconds } = settings();
    const parsed = parseBlobCreatedEvent(event, { accountName: images.accountName, unprocessedContainer });
    if (!parsed.ok) {
      const log = invocationLogger(context, {});
      const fields = { reason: parsed.reason, detail: parsed.detail, eventId: eventId(event) };
      if (ROUTINE_REASONS.has(parsed.reason)) log.info('event ignored', fields);
      else log.warn('event ignored', fields);
      return;
    }

    const { source } = parsed;
    const instanceId = instanceIdFor(source.container, source.blobName, source.eTag);
    const log = invocationLogger(context, { blobName: source.blobName, instanceId });
    try {
      const existing = await findInstanceStatus(client, instanceId);
      if (existing !== undefined && !RESTARTABLE_STATUSES.has(existing.runtimeStatus)) {
        log.info('duplicate event: this version is already being or has been processed', {
          runtimeStatus: existing.runtimeStatus,
        });
        return;
      }
      // The size and retry plans are captured here so the instance replays with the plans it started with.
      const input: ResizeOrchestrationInput = { source, sizes, retry: retryPlanFor(redriveDelaysSeconds) };
      try {
        await client.startNew(ORCHESTRATOR_FUNCTION, { instanceId, input });
      } catch (startError) {
        // Two deliveries of one event can pass the status check together; the task hub then refuses the
        // second start (the instance exists and is running). That loser is a duplicate, not a failure.
        const raced = await findInstanceStatus(client, instanceId);
        if (raced !== undefined && !RESTARTABLE_STATUSES.has(raced.runtimeStatus)) {
          log.info('duplicate event: a concurrent delivery started this version', {
            runtimeStatus: raced.runtimeStatus,
          });
          return;
        }
        throw startError;
      }
      log.info(existing === undefined ? 'orchestration started' : 'orchestration restarted', {
        previousStatus: existing?.runtimeStatus ?? null,
        sizes: sizes.map((size) => size.label),
        sequencer: source.sequencer,
      });
    } catch (error) {
      log.error('could not start the orchestration; Event Grid will redeliver', { error });
      throw error;
    }
  };
}

export const onImageUploaded = createOnImageUploadedHandler();

df.app.client.eventGrid(EVENT_TRIGGER_FUNCTION, { handler: onImageUploaded });
