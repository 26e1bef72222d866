import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { blobNameProblem } from '../../events/blobName';
import { jsonError } from './jsonResponses';

/** The `{*blobName}` route value (the host has already URL-decoded it), or a 400 saying what is wrong with it. */
export function blobNameFrom(
  request: HttpRequest,
): { ok: true; blobName: string } | { ok: false; response: HttpResponseInit } {
  const blobName = request.params.blobName ?? '';
  const problem = blobNameProblem(blobName);
  if (problem !== undefined) {
    return {
      ok: false,
      response: jsonError(
        400,
        'invalid-blob-name',
        `Expected a blob name after the route but received ${JSON.stringify(blobName)}: ${problem}`,
      ),
    };
  }
  return { ok: true, blobName };
}
