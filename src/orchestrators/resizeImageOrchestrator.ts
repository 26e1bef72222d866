import * as df from 'durable-functions';
import { ORCHESTRATOR_NAME } from '../activities/names';
import { deleteIntermediateActivity } from '../activities/deleteIntermediate';
import { prepareSourceActivity } from '../activities/prepareSource';
import { resizeActivityHandles } from '../activities/resizeImage';
import { writeImageDocumentActivity } from '../activities/writeImageDocument';
import { createResizeImageOrchestrator } from './resizeImageOrchestration';

/** The registered orchestrator, calling the activities through their registered handles. */
export const resizeImageOrchestrator = createResizeImageOrchestrator({
  resize: resizeActivityHandles,
  writeDocument: writeImageDocumentActivity,
  prepareSource: prepareSourceActivity,
  deleteIntermediate: deleteIntermediateActivity,
});

df.app.orchestration(ORCHESTRATOR_NAME, resizeImageOrchestrator);
