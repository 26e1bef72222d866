import type { BlobServiceClient } from '@azure/storage-blob';
import type { ImageDocument, Variant } from '../../domain/types';
import type { InvocationLogger } from '../../logging';
import { blobClientOf, deleteIfUnchanged, type DeleteResult } from '../../storage/blobs';

/** Deletes one derivative (the blob a variant names) only while it still is the recorded version (If-Match its eTag). */
export type DeleteDerivative = (variant: Pick<Variant, 'blobName' | 'eTag'>) => Promise<DeleteResult>;

export function derivativeDeleter(
  blobService: BlobServiceClient,
  processedContainer: string,
): DeleteDerivative {
  return ({ blobName, eTag }) =>
    deleteIfUnchanged(blobClientOf(blobService, processedContainer, blobName), eTag);
}

/** The previous version's variants whose derivatives the new document no longer points at (another label or extension). */
export function variantsLeftBehind(previous: ImageDocument, next: ImageDocument): Variant[] {
  const kept = new Set(next.variants.map((variant) => variant.blobName));
  return previous.variants.filter((variant) => !kept.has(variant.blobName) && variant.eTag !== '');
}

/**
 * After a new source version's document replaced the previous version's, the previous derivatives that no
 * longer belong to any variant (a size that now failed, an output format that changed) would still be
 * served under their old names. Each is deleted only while it is exactly the blob the old document
 * recorded. A failure here is logged and does not fail the activity: the document is already right, and a
 * Durable retry would only merge into it (the old document is gone), so it could not redo this anyway.
 */
export async function deleteDerivativesLeftBehind(
  previous: ImageDocument,
  next: ImageDocument,
  deleteBlob: DeleteDerivative,
  log: InvocationLogger,
): Promise<void> {
  for (const variant of variantsLeftBehind(previous, next)) {
    const fields = {
      derivative: variant.blobName,
      eTag: variant.eTag,
      previousSourceETag: previous.sourceETag,
    };
    try {
      const result = await deleteBlob(variant);
      if (result === 'deleted') log.info('previous version derivative deleted', fields);
      else if (result === 'changed')
        log.info('previous version derivative was rewritten since; kept', fields);
    } catch (error) {
      log.warn('previous version derivative could not be deleted; left behind', { ...fields, error });
    }
  }
}
