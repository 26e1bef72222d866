import type { ContainerClient } from '@azure/storage-blob';

/**
 * Azure's lifecycle rule for the scratch container (infra/app/storage.bicep: delete block blobs more than one
 * day after their last modification) has no Azurite equivalent, so the local host applies it at start: what a
 * terminated or crashed run left behind goes away locally as it does in Azure, instead of piling up.
 */
export const SCRATCH_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes the blobs of `container` last modified more than `maxAgeMs` before `now`; returns how many. A
 * container that does not exist yet (created on first use by the app) has nothing to expire.
 */
export async function expireScratchBlobs(
  container: ContainerClient,
  options: { maxAgeMs?: number; now?: Date } = {},
): Promise<number> {
  if (!(await container.exists())) return 0;
  const cutoff = (options.now ?? new Date()).getTime() - (options.maxAgeMs ?? SCRATCH_MAX_AGE_MS);
  let deleted = 0;
  for await (const blob of container.listBlobsFlat()) {
    if (blob.properties.lastModified.getTime() >= cutoff) continue;
    // If-Unmodified-Since the cutoff: a blob rewritten since the listing is young again and stays.
    const response = await container.getBlobClient(blob.name).deleteIfExists({
      conditions: { ifUnmodifiedSince: new Date(cutoff) },
    });
    if (response.succeeded) deleted += 1;
  }
  return deleted;
}
