import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export interface PlannedUpload {
  file: string;
  blobName: string;
  contentType: string;
  size: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.heic': 'image/heic',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain',
};

/** What a browser upload would declare; the pipeline itself trusts magic bytes, not this. */
export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .flatMap((entry) => {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) return filesUnder(full);
      return entry.isFile() ? [full] : [];
    })
    .sort();
}

/** Normalises `--prefix`: forward slashes, no leading slash, a trailing slash when not empty. */
export function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\\/g, '/').replace(/^\/+/, '');
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

/**
 * Files to upload: a file keeps its name; a folder's files keep their path below the folder. Each gets the
 * prefix. Missing paths fail with their name.
 */
export function planUploads(paths: string[], prefix = ''): PlannedUpload[] {
  const normalised = normalisePrefix(prefix);
  return paths.flatMap((input) => {
    let stats;
    try {
      stats = statSync(input);
    } catch {
      throw new Error(`No such file or folder: ${input}`);
    }
    const files = stats.isDirectory()
      ? filesUnder(input).map((file) => ({ file, relative: path.relative(input, file) }))
      : [{ file: input, relative: path.basename(input) }];
    return files.map(({ file, relative }) => ({
      file,
      blobName: normalised + relative.split(path.sep).join('/'),
      contentType: contentTypeFor(file),
      size: statSync(file).size,
    }));
  });
}

/** The local status URL of a blob: `{baseUrl}/api/images/{name}` with each path segment encoded. */
export function statusUrl(baseUrl: string, blobName: string): string {
  return `${baseUrl}/api/images/${blobName.split('/').map(encodeURIComponent).join('/')}`;
}
