import * as df from 'durable-functions';
import type { RegisteredActivity } from 'durable-functions';
import { findAppRoot, readDurableHostConfig } from '../config/hostConfig';
import { getSettings } from '../config/settings';
import { configureDecodeAdmission, MIB } from '../imaging/decodeAdmission';
import { resizeFunctionName } from '../domain/functionNames';
import { configureSharp, renderRendition } from '../imaging';
import { getDerivativesBlobService, getImagesBlobService } from '../storage/blobServiceClient';
import { createResizeHandler } from './resize/resizeHandler';
import type { ResizeDeps } from './resize/resizeToOutcome';

export { createResizeHandler } from './resize/resizeHandler';
export type { ResizeDeps } from './resize/resizeToOutcome';

let productionDeps: ResizeDeps | undefined;

function defaultDeps(): ResizeDeps {
  const settings = getSettings();
  productionDeps ??= {
    blobService: getImagesBlobService(),
    derivativeBlobService: getDerivativesBlobService(),
    processedContainer: settings.processedContainer,
    limits: { maxSourceBytes: settings.maxSourceBytes, maxSourcePixels: settings.maxSourcePixels },
    render: renderRendition,
    now: () => new Date(),
    derivativeBaseUrl: settings.site.derivativeBaseUrl,
  };
  return productionDeps;
}

// The decode memory budget of this worker (DECODE_MEMORY_BUDGET_MB), once per process.
configureDecodeAdmission({ memoryBudgetBytes: getSettings().decodeMemoryBudgetMb * MIB });

// sharp's cache and thread pool are sized once per worker for the activities that can run side by side.
configureSharp({
  activityConcurrency: readDurableHostConfig(findAppRoot()).maxConcurrentActivityFunctions,
});

const handler = createResizeHandler(defaultDeps);

/**
 * One registered activity per size of the catalog, so a size can be retuned, redeployed or re-run alone, and
 * one per retired label (`RETIRED_SIZES`): instances that planned a label before it left `IMAGE_SIZES` still
 * call `resize-{label}` by name (the box travels in their input), and an unregistered name would fail them.
 * The orchestrator calls them by name; the handles are kept only to show what was registered.
 */
export const resizeActivityHandles: ReadonlyMap<string, RegisteredActivity> = new Map(
  [...getSettings().sizes.map((size) => size.label), ...getSettings().retiredSizes].map((label) => [
    label,
    df.app.activity(resizeFunctionName(label), { handler }),
  ]),
);
