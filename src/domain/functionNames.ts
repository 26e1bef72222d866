/**
 * Every function name of the app, in one place. Names are contracts: the Event Grid subscription targets the
 * trigger by name (infra), the trigger and the reprocess endpoint start the orchestrator by name, the
 * orchestrator calls the activities by name (which keeps it independent of registration and lets it name a
 * size whose activity is not registered in this deployment), and the HTTP routes' keys are per function.
 * Constants end in `_FUNCTION`; names built from a size label come from `resizeFunctionName`.
 */
export const EVENT_TRIGGER_FUNCTION = 'onImageUploaded';
export const ORCHESTRATOR_FUNCTION = 'resizeImageOrchestrator';
export const WRITE_DOCUMENT_FUNCTION = 'writeImageDocument';
/** ThumbHash and dominant colour, beside the sizes in the fan-out; it can never fail one. */
export const PLACEHOLDER_FUNCTION = 'makePlaceholder';
export const IMAGE_STATUS_FUNCTION = 'imageStatus';
export const REPROCESS_FUNCTION = 'reprocessImage';
/** `POST /api/uploads`: the create-only SAS for one new upload. */
export const UPLOADS_FUNCTION = 'createUpload';
/** `GET /api/console/images`: the operator console's list. */
export const CONSOLE_IMAGES_FUNCTION = 'consoleImages';
/** `GET /api/site/{*path}`: the upload page, the console and their modules. */
export const SITE_FUNCTION = 'site';

/** One activity per size, `resize-{label}`, so a size can be retuned, redeployed or re-run alone. */
export function resizeFunctionName(label: string): string {
  return `resize-${label}`;
}
