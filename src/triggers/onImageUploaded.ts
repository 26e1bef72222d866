import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { EVENT_TRIGGER_FUNCTION } from '../domain/functionNames';
import { getSettings, type Settings } from '../config/settings';
import { instanceIdFor } from '../domain/ids';
import { newRunInput } from '../domain/runInput';
import type { SourceRef } from '../domain/types';
import { parseBlobEvent, type DeletedBlobRef, type IgnoreReason } from '../events/blobEvent';
import { removeDeletedSource, type RemoveDeps } from '../lifecycle/removeDeletedSource';
import { invocationLogger, withExtra, type InvocationLogger } from '../logging';
import { summarizeEvent } from '../events/eventSummary';
import { getDerivativesBlobService, getImagesBlobService } from '../storage/blobServiceClient';
import { getImagesContainer } from '../storage/cosmosClient';
import { cosmosDocumentStore } from '../storage/documentStore';
import { retryPlanFor } from '../orchestrators/retryPolicy';
import { startOnce, type InstanceStarter } from './startOnce';

export type { InstanceStarter } from './startOnce';

/** Filters that simply say "not for us" are routine; the others mean a broken or hostile publisher. */
const ROUTINE_REASONS: ReadonlySet<IgnoreReason> = new Set([
  'not-a-blob-event',
  'unsupported-api',
  'other-account',
  'other-container',
]);

async function startRun(
  source: SourceRef,
  settings: Settings,
  client: InstanceStarter,
  eventLog: InvocationLogger,
): Promise<void> {
  const instanceId = instanceIdFor(source.container, source.blobName, source.eTag);
  const log = eventLog.with({ instanceId });
  try {
    // The size and retry plans and the grace period are captured here so the instance replays with what it started with.
    const input = newRunInput(source, {
      sizes: settings.sizes,
      retry: retryPlanFor(settings.redriveDelaysSeconds),
      replacedGraceSeconds: settings.replacedDerivativesGraceSeconds,
    });
    const result = await startOnce(client, instanceId, input);
    if (!result.started) {
      log.info(
        result.raced
          ? 'duplicate event: a concurrent delivery started this version'
          : 'duplicate event: this version is already being or has been processed',
        { reason: result.raced ? 'duplicate-raced' : 'duplicate', runtimeStatus: result.runtimeStatus },
      );
      return;
    }
    log.info(result.previousStatus === null ? 'orchestration started' : 'orchestration restarted', {
      previousStatus: result.previousStatus,
      sizes: settings.sizes.map((size) => size.label),
    });
  } catch (error) {
    log.error('could not start the orchestration; Event Grid will redeliver', { error });
    throw error;
  }
}

async function removeSource(deleted: DeletedBlobRef, deps: RemoveDeps, log: InvocationLogger): Promise<void> {
  try {
    const result = await removeDeletedSource(deleted, deps);
    if (result.ok) {
      log.info('source deleted: document removed, derivatives deleted', {
        deleted: result.derivatives.deleted.length,
        kept: result.derivatives.kept,
      });
    } else {
      log.info('delete ignored: the source exists again, or the document describes a later version', {
        reason: result.reason,
      });
    }
  } catch (error) {
    log.error('could not remove the deleted source; Event Grid will redeliver', { error });
    throw error;
  }
}

let productionRemoveDeps: RemoveDeps | undefined;

function defaultRemoveDeps(): RemoveDeps {
  productionRemoveDeps ??= {
    blobService: getImagesBlobService(),
    derivativeBlobService: getDerivativesBlobService(),
    processedContainer: getSettings().processedContainer,
    store: cosmosDocumentStore(getImagesContainer()),
    now: () => new Date(),
  };
  return productionRemoveDeps;
}

/**
 * Event Grid trigger for the source container's BlobCreated and BlobDeleted events (one subscription).
 * BlobCreated starts one orchestration per source version. BlobDeleted is handled here, without an
 * orchestration: the work is a few idempotent deletes, ordered against runs by the document's tombstone (see
 * docs/design.md), and a failure throws so Event Grid redelivers (for up to 24 hours, then dead-letters).
 * Ignored events return normally (a throw would make Event Grid redeliver junk for a day).
 */
export function createOnImageUploadedHandler(
  settings: () => Settings = getSettings,
  removeDeps: () => RemoveDeps = defaultRemoveDeps,
) {
  return async (event: unknown, client: InstanceStarter, context: InvocationContext): Promise<void> => {
    const current = settings();
    const { images, unprocessedContainer } = current;
    const parsed = parseBlobEvent(event, { accountName: images.accountName, unprocessedContainer });
    // Every line about this event names it as it arrived: container, blob, api, eTag, sequencer, event id.
    const { blobName, ...about } = summarizeEvent(event);
    const log = withExtra(invocationLogger(context, blobName === null ? {} : { blobName }), about);
    if (!parsed.ok) {
      const fields = { reason: parsed.reason, detail: parsed.detail };
      if (ROUTINE_REASONS.has(parsed.reason)) log.info('event ignored', fields);
      else log.warn('event ignored', fields);
      return;
    }
    if (parsed.type === 'created') await startRun(parsed.source, current, client, log);
    else await removeSource(parsed.deleted, removeDeps(), log);
  };
}

export const onImageUploaded = createOnImageUploadedHandler();

df.app.client.eventGrid(EVENT_TRIGGER_FUNCTION, { handler: onImageUploaded });
