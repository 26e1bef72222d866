import { createReadStream } from 'node:fs';
import { BlobServiceClient } from '@azure/storage-blob';
import type { PlannedUpload } from './uploadPlan';

export interface UploadProgress {
  upload: PlannedUpload;
  loadedBytes: number;
}

/** Uploads one file after another (a progress bar per file reads better than interleaved ones). */
export async function uploadFiles(options: {
  connectionString: string;
  container: string;
  uploads: PlannedUpload[];
  onProgress?: (progress: UploadProgress) => void;
  onDone?: (upload: PlannedUpload, eTag: string) => void;
}): Promise<void> {
  const container = BlobServiceClient.fromConnectionString(options.connectionString).getContainerClient(
    options.container,
  );
  await container.createIfNotExists();
  for (const upload of options.uploads) {
    const blob = container.getBlockBlobClient(upload.blobName);
    const response = await blob.uploadStream(createReadStream(upload.file), 4 * 1024 * 1024, 4, {
      blobHTTPHeaders: { blobContentType: upload.contentType },
      onProgress: (event) => options.onProgress?.({ upload, loadedBytes: event.loadedBytes }),
    });
    options.onProgress?.({ upload, loadedBytes: upload.size });
    options.onDone?.(upload, response.etag ?? '');
  }
}
