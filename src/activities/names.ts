/** Function names other components rely on (DESIGN.md); one place so the trigger, orchestrator and infra agree. */
export const ORCHESTRATOR_NAME = 'resizeImageOrchestrator';
export const WRITE_DOCUMENT_ACTIVITY = 'writeImageDocument';
/** ThumbHash and dominant colour, beside the sizes; it can never fail one. */
export const PLACEHOLDER_ACTIVITY = 'makePlaceholder';
export const EVENT_TRIGGER_NAME = 'onImageUploaded';

/** One activity per size, so a size can be retuned, redeployed or re-run alone. */
export function resizeActivityName(label: string): string {
  return `resize-${label}`;
}
