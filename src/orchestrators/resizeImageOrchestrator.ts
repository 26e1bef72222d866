import * as df from 'durable-functions';
import { ORCHESTRATOR_NAME } from '../activities/names';
import { placeholderActivity } from '../activities/makePlaceholder';
import { resizeActivityHandles } from '../activities/resizeImage';
import { writeImageDocumentActivity } from '../activities/writeImageDocument';
import { createResizeImageOrchestrator } from './resizeImageOrchestration';

/** The registered orchestrator, calling the activities through their registered handles. */
export const resizeImageOrchestrator = createResizeImageOrchestrator({
  resize: resizeActivityHandles,
  placeholder: placeholderActivity,
  writeDocument: writeImageDocumentActivity,
});

df.app.orchestration(ORCHESTRATOR_NAME, resizeImageOrchestrator);
