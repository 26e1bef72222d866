// The app's entry point (package.json "main"): importing each module registers its functions with the host.
// Only src/ is imported: the local host (packages/devhost/) loads this file, never the other way round.
import './activities/makePlaceholder';
import './activities/resizeImage';
import './activities/findUnregisteredSizes';
import './activities/writeImageDocument';
import './activities/prepareSource';
import './activities/deleteIntermediate';
import './activities/handOffToCurrentVersion';
import './activities/deleteUnusedDerivatives';
import './activities/deleteDroppedDerivatives';
import './orchestrators/resizeImageOrchestrator';
import './triggers/onImageUploaded';
import './triggers/httpImageStatus';
import './triggers/httpReprocess';
import './activities/listSourcePage';
import './activities/startBackfillRuns';
import './activities/checkBackfillRuns';
import './orchestrators/backfillOrchestrator';
import './triggers/httpBackfill';
import './triggers/httpUploads';
import './triggers/httpConsoleImages';
import './triggers/httpConsoleInstance';
import './triggers/httpSite';
