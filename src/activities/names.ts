/** Function names other components rely on (DESIGN.md); one place so the trigger, orchestrator and infra agree. */
export const ORCHESTRATOR_NAME = 'resizeImageOrchestrator';
export const WRITE_DOCUMENT_ACTIVITY = 'writeImageDocument';
export const EVENT_TRIGGER_NAME = 'onImageUploaded';
/** Decode once: writes the intermediate every size of the run reads (see PrepareSourceOutcome). */
export const PREPARE_SOURCE_ACTIVITY = 'prepareSource';
/** Deletes the run's intermediate when the run ends. */
export const DELETE_INTERMEDIATE_ACTIVITY = 'deleteIntermediate';

/** One activity per size, so a size can be retuned, redeployed or re-run alone. */
export function resizeActivityName(label: string): string {
  return `resize-${label}`;
}
