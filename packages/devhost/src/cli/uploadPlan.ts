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

/** A folder's file that is not uploaded, and why. */
export interface SkippedFile {
  file: string;
  reason: 'not an image' | 'empty';
}

/** An extension that names an image format (what a browser would send as `image/*`). */
function isImageName(file: string): boolean {
  return contentTypeFor(file).startsWith('image/');
}

/**
 * Files to upload: a file keeps its name; a folder's files keep their path below the folder. Each gets the
 * prefix. A file named on the command line is uploaded as given (to see how the pipeline rejects it); a folder's
 * files that are empty or whose extension names no image format are skipped and listed. Missing paths fail with
 * their name.
 */
export function planUploads(
  paths: string[],
  prefix = '',
): { uploads: PlannedUpload[]; skipped: SkippedFile[] } {
  const normalised = normalisePrefix(prefix);
  const uploads: PlannedUpload[] = [];
  const skipped: SkippedFile[] = [];
  for (const input of paths) {
    let stats;
    try {
      stats = statSync(input);
    } catch {
      throw new Error(`No such file or folder: ${input}`);
    }
    const inFolder = stats.isDirectory();
    const files = inFolder
      ? filesUnder(input).map((file) => ({ file, relative: path.relative(input, file) }))
      : [{ file: input, relative: path.basename(input) }];
    for (const { file, relative } of files) {
      const size = statSync(file).size;
      if (inFolder && !isImageName(file)) skipped.push({ file, reason: 'not an image' });
      else if (inFolder && size === 0) skipped.push({ file, reason: 'empty' });
      else
        uploads.push({
          file,
          blobName: normalised + relative.split(path.sep).join('/'),
          contentType: contentTypeFor(file),
          size,
        });
    }
  }
  return { uploads, skipped };
}

/** One line naming the folder files left out, e.g. `Skipped 2 files: a/notes.txt (not an image), a/x.jpg (empty)`. */
export function skippedLine(skipped: readonly SkippedFile[]): string | undefined {
  if (skipped.length === 0) return undefined;
  const list = skipped.map(({ file, reason }) => `${file} (${reason})`).join(', ');
  return `Skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'}: ${list}`;
}

/** The local status URL of a blob: `{baseUrl}/api/images/{name}` with each path segment encoded. */
export function statusUrl(baseUrl: string, blobName: string): string {
  return `${baseUrl}/api/images/${blobName.split('/').map(encodeURIComponent).join('/')}`;
}
