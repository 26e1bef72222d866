import { VERSION_TAG_LENGTH } from './ids';
import type { OutputFormat } from './types';

/*
 * Derivative names v2: `{source blob name}/{v}/{label}.{ext}` in the processed container. The whole source
 * name (extension and case kept) is the folder, so `coll/pic.jpg` and `coll/pic.JPG` never share a
 * derivative; `{v}` (ids.ts `versionTagFor`) names the source version, so a version's derivatives are
 * written once and never overwritten by another version.
 */

/** Blob metadata naming the source version a derivative was made from (lower case: metadata keys are). */
export const DERIVATIVE_METADATA = {
  sourceETag: 'sourceetag',
  sourceSequencer: 'sourcesequencer',
  label: 'sizelabel',
  /** The derivative's pixel width and height (decimal), so a later run records them without reading pixels. */
  width: 'width',
  height: 'height',
  /** `renditionSpecHash` of the label's settings the bytes were rendered with. */
  renditionSpec: 'renditionspec',
  /**
   * The source version as the render's decode found it (format upper case, displayed width and height, bytes),
   * so a re-run whose formats are all stored answers without reading the source.
   */
  sourceFormat: 'sourceformat',
  sourceWidth: 'sourcewidth',
  sourceHeight: 'sourceheight',
  sourceLength: 'sourcelength',
} as const;

/** `users/42/IMG_0001.JPG` + `3fa9c04e1b7d` + `thumb` + `jpg` -> `users/42/IMG_0001.JPG/3fa9c04e1b7d/thumb.jpg`. */
export function derivativeBlobName(
  sourceBlobName: string,
  versionTag: string,
  label: string,
  extension: string,
): string {
  return `${derivativePrefix(sourceBlobName)}${versionTag}/${label}.${extension}`;
}

/** The folder holding the derivatives of every version of one source. */
export function derivativePrefix(sourceBlobName: string): string {
  return `${sourceBlobName}/`;
}

/** What the name after the prefix must be: `{12 hex}/{label}.{ext}`, with no further `/`. */
const UNDER_PREFIX = new RegExp(`^([0-9a-f]{${VERSION_TAG_LENGTH}})/([a-z0-9-]{1,32})\\.([a-z0-9]{1,8})$`);

/**
 * The version tag and label of a derivative of `sourceBlobName`, or undefined for any other blob under its
 * prefix. A listing by prefix also returns the derivatives of sources NESTED under this one's name
 * (`a.jpg/b.jpg/{v}/thumb.jpg` is under `a.jpg/`); the exact shape check keeps a delete of `a.jpg` from
 * touching them.
 */
export function parseDerivativeBlobName(
  sourceBlobName: string,
  blobName: string,
): { versionTag: string; label: string; extension: string } | undefined {
  const prefix = derivativePrefix(sourceBlobName);
  if (!blobName.startsWith(prefix)) return undefined;
  const match = UNDER_PREFIX.exec(blobName.slice(prefix.length));
  if (!match) return undefined;
  const [, versionTag = '', label = '', extension = ''] = match;
  return { versionTag, label, extension };
}

const FORMAT_OF_EXTENSION: Readonly<Record<string, OutputFormat>> = Object.freeze({
  jpg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
});

/** The output format a derivative's extension names (`jpg` -> `jpeg`), or undefined for one we never write. */
export function formatOfExtension(extension: string): OutputFormat | undefined {
  return Object.hasOwn(FORMAT_OF_EXTENSION, extension) ? FORMAT_OF_EXTENSION[extension] : undefined;
}
