import { formatBytes, renderTable } from './format';

/** The part of `GET /api/images/{blob}` the report shows (the app's status answer). */
export interface ImageStatusAnswer {
  blobName: string;
  instanceId: string | null;
  runtimeStatus: string | null;
  createdTime?: string | null;
  lastUpdatedTime?: string | null;
  statusUrl?: string;
  blob?: { eTag?: string; contentLength?: number; contentType?: string } | null;
  document?: {
    status: string;
    sourceFormat: string | null;
    sourceWidth: number | null;
    sourceHeight: number | null;
    sourceLength: number;
    updatedAt: string;
    variants: Array<{
      label: string;
      width: number;
      height: number;
      format: string;
      sizeBytes: number;
      blobName: string;
    }>;
    errors: Array<{ label?: string; code: string; message: string }>;
  } | null;
}

function orNone(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : value;
}

/** Orchestration states after which no document will be written any more. */
const ENDED = new Set(['Completed', 'Failed', 'Terminated']);

/**
 * The document line when there is none: still to come while a run is under way; otherwise missing, with the
 * command that writes it again (the document was deleted since, or the local data folder was).
 */
function noDocument(answer: ImageStatusAnswer, reprocessCommand: string): string {
  const status = answer.runtimeStatus ?? undefined;
  if (answer.instanceId && status !== undefined && !ENDED.has(status))
    return `none yet (the run is ${status})`;
  const why = answer.instanceId
    ? `the run ended ${status ?? 'unknown'} without one (or it was deleted since)`
    : 'no run found for this blob';
  return `no document: ${why}; write it again with ${reprocessCommand}`;
}

/**
 * A readable report: source, orchestration, document, one table of variants and one of errors.
 * `reprocessCommand` is what the report suggests when a document is missing.
 */
export function renderStatusReport(
  answer: ImageStatusAnswer,
  options: { reprocessCommand: string } = {
    reprocessCommand: `npm run reprocess -- ${answer.blobName}`,
  },
): string {
  const document = answer.document ?? undefined;
  const summary: string[][] = [
    ['Blob', answer.blobName],
    [
      'Source',
      answer.blob
        ? `${orNone(answer.blob.contentType)}, ${formatBytes(answer.blob.contentLength ?? 0)}, eTag ${orNone(answer.blob.eTag)}`
        : 'not in storage',
    ],
    ['Orchestration', answer.instanceId ? `${answer.instanceId}  ${orNone(answer.runtimeStatus)}` : 'none'],
    ['  created / updated', `${orNone(answer.createdTime)} / ${orNone(answer.lastUpdatedTime)}`],
    [
      'Document',
      document
        ? `${document.status}  ${orNone(document.sourceFormat)} ${document.sourceWidth ?? '?'}x${document.sourceHeight ?? '?'}  ${formatBytes(document.sourceLength)}  updated ${document.updatedAt}`
        : noDocument(answer, options.reprocessCommand),
    ],
  ];
  if (answer.statusUrl) summary.push(['Durable status', answer.statusUrl]);
  const width = Math.max(...summary.map(([label]) => (label ?? '').length));
  const lines = summary.map(([label, value]) => `${(label ?? '').padEnd(width)}  ${value ?? ''}`);

  if (document && document.variants.length > 0) {
    lines.push(
      '',
      renderTable(
        ['variant', 'size', 'format', 'bytes', 'blob'],
        document.variants.map((variant) => [
          variant.label,
          `${variant.width}x${variant.height}`,
          variant.format,
          formatBytes(variant.sizeBytes),
          variant.blobName,
        ]),
      ),
    );
  }
  if (document && document.errors.length > 0) {
    lines.push(
      '',
      renderTable(
        ['error', 'variant', 'message'],
        document.errors.map((error) => [error.code, error.label ?? '-', error.message]),
      ),
    );
  }
  return lines.join('\n');
}
