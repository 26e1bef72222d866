/**
 * Every function name of the app, in one place. Names are contracts: the Event Grid subscription targets the
 * trigger by name (infra), the trigger and the reprocess endpoint start the orchestrator by name, the
 * orchestrator calls the activities by name (which keeps it independent of registration and lets it name a
 * size whose activity is not registered in this deployment), and the HTTP routes' keys are per function.
 * Constants end in `_FUNCTION`; names built from a size label come from `resizeFunctionName`.
 */
/** Receives BlobCreated AND BlobDeleted of the source container (one Event Grid subscription). */
export const EVENT_TRIGGER_FUNCTION = 'onImageUploaded';
export const ORCHESTRATOR_FUNCTION = 'resizeImageOrchestrator';
export const WRITE_DOCUMENT_FUNCTION = 'writeImageDocument';
/** Starts the instance of the source's current version when a run's version moved on (property writes). */
export const HAND_OFF_FUNCTION = 'handOffToCurrentVersion';
/** Deletes the derivatives no document can use any more (replaced versions, orphans, deleted sources). */
export const DELETE_UNUSED_DERIVATIVES_FUNCTION = 'deleteUnusedDerivatives';
/**
 * Deletes the derivatives of a run's own version that its plan no longer produces (dropped formats, labels
 * neither planned nor retired), after the document stopped naming them.
 */
export const DELETE_DROPPED_DERIVATIVES_FUNCTION = 'deleteDroppedDerivatives';
/** ThumbHash and dominant colour, beside the sizes in the fan-out; it can never fail one. */
export const PLACEHOLDER_FUNCTION = 'makePlaceholder';
export const IMAGE_STATUS_FUNCTION = 'imageStatus';
export const REPROCESS_FUNCTION = 'reprocessImage';
/** Decode once: writes the intermediate every size of the run reads (see PrepareSourceOutcome). */
export const PREPARE_SOURCE_FUNCTION = 'prepareSource';
/**
 * Which planned sizes have no `resize-{label}` activity in this deployment, asked before each fan-out round
 * (scheduling an unregistered activity fails the whole orchestration).
 */
export const FIND_UNREGISTERED_SIZES_FUNCTION = 'findUnregisteredSizes';
/** Deletes the run's intermediate when the run ends. */
export const DELETE_INTERMEDIATE_FUNCTION = 'deleteIntermediate';
/** `POST /api/uploads`: the create-only SAS for one new upload. */
export const UPLOADS_FUNCTION = 'createUpload';
/** `GET /api/console/images`: the operator console's list. */
export const CONSOLE_IMAGES_FUNCTION = 'consoleImages';
/** `GET /api/console/instances/{instanceId}`: one Durable instance's status for operators, read server-side. */
export const CONSOLE_INSTANCE_FUNCTION = 'consoleInstance';
/** `GET /api/site/{*path}`: the upload page, the console and their modules. */
export const SITE_FUNCTION = 'site';

/** One activity per size, `resize-{label}`, so a size can be retuned, redeployed or re-run alone. */
export function resizeFunctionName(label: string): string {
  return `resize-${label}`;
}

/** `POST /api/backfill` (and `GET` for the running ones) and the orchestration it starts. */
export const BACKFILL_HTTP_FUNCTION = 'backfill';
export const BACKFILL_ORCHESTRATOR = 'backfillOrchestrator';
/** Backfill activities: one listing page, start the runs of a batch, check the runs in flight. */
export const LIST_SOURCE_PAGE_FUNCTION = 'listSourcePage';
export const START_BACKFILL_RUNS_FUNCTION = 'startBackfillRuns';
export const CHECK_BACKFILL_RUNS_FUNCTION = 'checkBackfillRuns';
