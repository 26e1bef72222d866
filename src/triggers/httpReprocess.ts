import {
  HttpResponse,
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
} from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { randomBytes } from 'node:crypto';
import { requireOperator } from '../auth/caller';
import { ORCHESTRATOR_FUNCTION, REPROCESS_FUNCTION } from '../domain/functionNames';
import { documentIdFor, instanceIdFor, unquoteETag } from '../domain/ids';
import { describeReceived } from '../domain/validation';
import { newRunInput } from '../domain/runInput';
import type { ImageDocument, SourceRef } from '../domain/types';
import { invocationLogger } from '../logging';
import { blobNameFrom } from './http/blobNameParam';
import { productionHttpDeps, type ImageHttpDeps } from './http/deps';
import { refuseCrossSite } from './http/crossSite';
import { jsonError } from './http/jsonResponses';
import { instanceLinks } from './http/instanceLinks';
import { selectSizes } from './http/sizeSelection';
import { readBlobVersion, readImageDocument } from './http/sourceLookup';
import { retryPlanFor } from '../orchestrators/retryPolicy';
import { runThatWillProduce, type VersionRunsClient } from './versionRuns';

export type ReprocessClient = Pick<DurableClient, 'startNew'> & VersionRunsClient;

/** What the 202 says when a run of the same version in flight will write every requested size. */
export const FOLLOWING_NOTE =
  'a run of this version that is still in flight will write every requested size: this request follows it ' +
  'instead of rendering them a second time';

/** What the 202 says about sizes whose derivatives of this version are already stored. */
export const ALREADY_PRESENT_NOTE =
  'already present: re-recorded, not rewritten (derivative names are immutable per version, so the run ' +
  'records the stored derivative again and writes no new bytes; to change a rendition, give it a new label)';

/**
 * The requested labels whose variants the document already holds for the blob's current version: a run of
 * that version finds each derivative's name taken by a blob of the same version and reports it as it is.
 */
export function alreadyPresentLabels(
  document: Pick<ImageDocument, 'sourceETag' | 'variants'> | undefined,
  blobETag: string,
  requested: readonly string[],
): string[] {
  if (!document || unquoteETag(document.sourceETag) !== unquoteETag(blobETag)) return [];
  const stored = new Set(document.variants.map((variant) => variant.label));
  return requested.filter((label) => stored.has(label));
}

/**
 * A fresh instance id for another run of the same version: the version's id plus a time-and-random suffix,
 * so it never collides with the event-started run (which a redelivered event must still find) or earlier
 * reprocess runs. Clock and randomness are fine here: this is client code, not orchestrator code.
 */
export function reprocessInstanceId(
  container: string,
  blobName: string,
  eTag: string,
  now = Date.now(),
): string {
  return `${instanceIdFor(container, blobName, eTag)}-r${now.toString(36)}${randomBytes(3).toString('hex')}`;
}

type RequestedSizes = { ok: true; sizes: string[] } | { ok: false; message: string };

/**
 * The `sizes` a reprocess asks for: the query's `sizes` parameters, or the JSON body's `sizes` array (the
 * console and scripts send either). A body with anything else, or sizes in both places, is refused rather than
 * half-read: a silently ignored `sizes` would re-run every size.
 */
async function requestedSizes(request: HttpRequest): Promise<RequestedSizes> {
  const inQuery = request.query.getAll('sizes');
  const text = await request.text();
  if (text.trim() === '') return { ok: true, sizes: inQuery };
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    return {
      ok: false,
      message: 'Expected a JSON body { "sizes": [...] } or none but received invalid JSON',
    };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      ok: false,
      message: `Expected a JSON object { "sizes": [...] } for the body but received ${describeReceived(body)}`,
    };
  }
  const unknownKeys = Object.keys(body).filter((key) => key !== 'sizes');
  if (unknownKeys.length > 0) {
    return {
      ok: false,
      message: `Expected only "sizes" in the body but received ${unknownKeys.map((key) => describeReceived(key)).join(', ')}`,
    };
  }
  const sizes = (body as { sizes?: unknown }).sizes;
  if (sizes === undefined) return { ok: true, sizes: inQuery };
  if (!Array.isArray(sizes) || !sizes.every((label): label is string => typeof label === 'string')) {
    return {
      ok: false,
      message: `Expected an array of size labels for sizes but received ${describeReceived(sizes)}`,
    };
  }
  if (inQuery.length > 0)
    return { ok: false, message: 'Expected sizes in the query or in the body, not both' };
  // An empty array names no size: selectSizes refuses it as it refuses `?sizes=`.
  return { ok: true, sizes: sizes.length === 0 ? [''] : sizes };
}

/** The 202's `note`: the already-present sizes, and whether the request follows a run in flight. */
function notes(alreadyPresent: readonly string[], following: boolean): { note?: string } {
  const parts = [
    ...(following ? [FOLLOWING_NOTE] : []),
    ...(alreadyPresent.length > 0 ? [`${alreadyPresent.join(', ')}: ${ALREADY_PRESENT_NOTE}`] : []),
  ];
  return parts.length > 0 ? { note: parts.join('; ') } : {};
}

/**
 * `POST /api/reprocess/{*blobName}[?sizes=thumb,medium]`: re-runs the pipeline on the blob's current version.
 * The sizes come from the query or from a JSON body `{ "sizes": ["thumb"] }` (not both); no sizes: every size.
 * 202 `{ id, statusUrl, historyUrl, sizes, alreadyPresent, following?, note? }` with `Location` = `statusUrl`
 * (the app's own instance endpoint, never the Durable management URLs); `following: true`: no run was started,
 * because a run of this version in flight (any starter's) will write every requested size; `id` is that run;
 * `alreadyPresent` names the sizes whose derivatives of this version exist already (nothing is rewritten for
 * them). 400 unknown sizes, a body that is not `{ sizes?: string[] }` or unsafe name, 404 no blob, 401/403 not an operator, 403/415 cross-site.
 */
export function createReprocessHandler(deps: () => ImageHttpDeps = productionHttpDeps) {
  return async (
    request: HttpRequest,
    client: ReprocessClient,
    context: InvocationContext,
  ): Promise<HttpResponseInit | HttpResponse> => {
    const { settings, blobService, documents, authEnabled } = deps();
    const crossSite = refuseCrossSite(request, settings.site.siteOrigins, { jsonBody: 'optional' });
    if (crossSite) return crossSite;
    const name = blobNameFrom(request);
    if (!name.ok) return name.response;
    const { blobName } = name;
    const operator = requireOperator(request, settings.site, authEnabled);
    if ('response' in operator) return operator.response;
    const container = settings.unprocessedContainer;

    const requested = await requestedSizes(request);
    if (!requested.ok) return jsonError(400, 'invalid-request', requested.message);
    const selection = selectSizes(settings.sizes, requested.sizes);
    if (!selection.ok) {
      return jsonError(400, 'unknown-sizes', selection.message, {
        unknown: selection.unknown,
        known: settings.sizes.map((size) => size.label),
      });
    }

    const blob = await readBlobVersion(blobService, container, blobName);
    if (!blob) return jsonError(404, 'not-found', `No blob "${blobName}" in ${container}`, { blobName });
    const document = await readImageDocument(documents, documentIdFor(container, blobName));
    // The event's sequencer is only known for the version the document describes; otherwise the writer is
    // told "order unknown" (empty) and decides from the source blob's current eTag.
    const sequencer =
      document && unquoteETag(document.sourceETag) === unquoteETag(blob.eTag) ? document.sourceSequencer : '';
    const source: SourceRef = {
      container,
      blobName,
      eTag: blob.eTag,
      sequencer,
      contentLength: blob.contentLength,
      contentType: blob.contentType,
    };

    // A run of this version still in flight (the upload's own, another reprocess, a backfill's) that will
    // write every requested size: a second run would render the same derivatives again, so follow that one.
    const inFlight = await runThatWillProduce(
      client,
      { container, blobName, eTag: blob.eTag },
      selection.sizes,
    );
    const instanceId = inFlight?.instanceId ?? reprocessInstanceId(container, blobName, blob.eTag);
    const log = invocationLogger(context, { blobName, instanceId });
    if (inFlight === undefined) {
      const input = newRunInput(source, {
        sizes: selection.sizes,
        retry: retryPlanFor(settings.redriveDelaysSeconds),
        replacedGraceSeconds: settings.replacedDerivativesGraceSeconds,
      });
      await client.startNew(ORCHESTRATOR_FUNCTION, { instanceId, input });
      log.info('reprocess started', {
        sizes: selection.sizes.map((size) => size.label),
        eTag: blob.eTag,
        sequencerKnown: sequencer !== '',
      });
    } else {
      log.info('reprocess follows a run of this version in flight', {
        reason: 'run-of-version-in-flight',
        sizes: selection.sizes.map((size) => size.label),
        eTag: blob.eTag,
      });
    }
    // The app's own operator-checked instance endpoint: the Durable management URLs carry the system key.
    const links = instanceLinks(request, instanceId);
    const labels = selection.sizes.map((size) => size.label);
    const alreadyPresent = alreadyPresentLabels(document, blob.eTag, labels);
    return new HttpResponse({
      status: 202,
      headers: { location: links.statusUrl, 'cache-control': 'no-store' },
      jsonBody: {
        id: instanceId,
        ...links,
        sizes: labels,
        alreadyPresent,
        ...(inFlight === undefined ? {} : { following: true }),
        ...notes(alreadyPresent, inFlight !== undefined),
      },
    });
  };
}

export const reprocessImage = createReprocessHandler();

// Anonymous at the host, operators only in the handler (the console calls it from the browser, which holds no
// function key): reprocessing spends compute and the answer carries the Durable management URLs.
df.app.client.http(REPROCESS_FUNCTION, {
  route: 'reprocess/{*blobName}',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: reprocessImage,
});
