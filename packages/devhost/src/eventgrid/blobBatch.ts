/**
 * Blob Batch (`POST ?comp=batch`, account or container scope): a `multipart/mixed` body of up to 256 HTTP
 * sub-requests (Delete Blob or Set Blob Tier), answered by a `multipart/mixed` body of sub-responses matched by
 * `Content-ID` (https://learn.microsoft.com/rest/api/storageservices/blob-batch). Azure raises one BlobDeleted
 * per Delete Blob that succeeded inside the batch, exactly as for a lone Delete Blob, and nothing for Set Blob
 * Tier; these helpers let the storage proxy see the sub-operations.
 */

/** One sub-request: its `Content-ID`, method, and request target (path and query, as sent). */
export interface BatchSubRequest {
  contentId: string;
  method: string;
  target: string;
  headers: Record<string, string>;
}

/** Whether a request is a Blob Batch: `POST` with `comp=batch`. */
export function isBlobBatch(method: string, query: URLSearchParams): boolean {
  return method === 'POST' && query.get('comp') === 'batch';
}

/** The `boundary` parameter of a `multipart/mixed` Content-Type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^\s*multipart\/mixed\s*;/i.test(contentType)) return undefined;
  const match = /;\s*boundary=("?)([^";]+)\1/i.exec(contentType);
  return match?.[2];
}

interface Part {
  headers: Record<string, string>;
  /** The embedded HTTP message: start line, headers, blank line, body. */
  message: string;
}

function parseHeaderLines(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Splits a multipart body into its parts (MIME headers, then the embedded HTTP message). */
function parts(body: string, boundary: string): Part[] {
  const delimiter = `--${boundary}`;
  const result: Part[] = [];
  for (const raw of body.split(delimiter).slice(1)) {
    if (raw.startsWith('--')) break; // the close delimiter
    const text = raw.replace(/^\r?\n/, '');
    const split = /\r?\n\r?\n/.exec(text);
    if (!split) continue;
    result.push({
      headers: parseHeaderLines(text.slice(0, split.index).split(/\r?\n/)),
      message: text.slice(split.index + split[0].length),
    });
  }
  return result;
}

function startLineAndHeaders(message: string): { startLine: string; headers: Record<string, string> } {
  const head = message.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const [startLine = '', ...lines] = head.split(/\r?\n/);
  return { startLine, headers: parseHeaderLines(lines) };
}

/** The sub-requests of a batch body, in order (parts that are not an HTTP request are skipped). */
export function batchSubRequests(body: string, boundary: string): BatchSubRequest[] {
  return parts(body, boundary).flatMap((part, index) => {
    const { startLine, headers } = startLineAndHeaders(part.message);
    const match = /^([A-Z]+)\s+(\S+)\s+HTTP\/\d\.\d$/.exec(startLine.trim());
    if (!match) return [];
    return [
      {
        contentId: part.headers['content-id'] ?? String(index),
        method: match[1] as string,
        target: match[2] as string,
        headers,
      },
    ];
  });
}

/** One sub-response: its status and the service's request id for it. */
export interface BatchSubResponse {
  status: number;
  requestId: string | undefined;
}

/** The sub-responses by `Content-ID` (by position when a part carries none). */
export function batchSubResponses(body: string, boundary: string): Map<string, BatchSubResponse> {
  const responses = new Map<string, BatchSubResponse>();
  parts(body, boundary).forEach((part, index) => {
    const { startLine, headers } = startLineAndHeaders(part.message);
    const match = /^HTTP\/\d\.\d\s+(\d{3})\b/.exec(startLine.trim());
    if (match) {
      responses.set(part.headers['content-id'] ?? String(index), {
        status: Number(match[1]),
        requestId: headers['x-ms-request-id'],
      });
    }
  });
  return responses;
}
