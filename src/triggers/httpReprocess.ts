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
import type { ImageDocument, SizeSpec, SourceRef } from '../domain/types';
import { DECODABLE_FORMATS } from '../imaging/types';
import { storedFormats } from '../activities/resize/storedRendition';
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

/** What the 202 says about sizes whose every derivative of this version is stored with their settings. */
export const ALREADY_PRESENT_NOTE =
  'stored for this version with these settings: the run will re-record them without decoding or rewriting ' +
  '(derivative names are immutable per version; to change a rendition, give it a new label)';

/** What the 202 says about sizes with derivatives of this version stored with OTHER settings. */
export const RENDITION_CHANGED_NOTE =
  'stored for this version with other settings: the run will keep those derivatives and record ' +
  "`rendition-changed` for their formats, rendering only formats not stored (a version's derivatives are " +
  'never rewritten; give the new settings a new label and backfill it)';

/** What a run of the current version will find for one label, from the derivatives' metadata. */
type PlannedLabel = 'stored' | 'changed' | 'render';

/**
 * Per requested label, what the run will do, read from storage (one listing per label, the same reading the
 * resize activity makes before any decode: `storedFormats`): `stored` (every format there with these
 * settings), `changed` (some format there with other settings: the run records `rendition-changed` for it,
 * whether or not other formats are missing and rendered) or `render`. A label asking for `source` needs the
 * source's format, known from a document of this version; without one it is planned as `render`, and a
 * derivative deleted since is `render` too. A plan: another run may write in between.
 */
async function plannedLabels(
  deps: Pick<ImageHttpDeps, 'derivativeBlobService' | 'settings'>,
  source: SourceRef,
  document: ImageDocument | undefined,
  sizes: readonly SizeSpec[],
): Promise<Map<string, PlannedLabel>> {
  const sameVersion = document && unquoteETag(document.sourceETag) === unquoteETag(source.eTag);
  const detected = DECODABLE_FORMATS.find((format) => sameVersion && document.sourceFormat === format);
  const planned = new Map<string, PlannedLabel>();
  for (const spec of sizes) {
    if (detected === undefined && spec.formats.includes('source')) {
      planned.set(spec.label, 'render');
      continue;
    }
    const stored = await storedFormats(deps.derivativeBlobService, {
      processedContainer: deps.settings.processedContainer,
      source,
      spec,
      // Only `source` reads it; without `source` any value gives the same candidates.
      sourceFormat: detected ?? 'JPEG',
      now: new Date(),
      derivativeBaseUrl: deps.settings.site.derivativeBaseUrl,
    });
    planned.set(
      spec.label,
      stored.changed.length > 0 ? 'changed' : stored.missing.length > 0 ? 'render' : 'stored',
    );
  }
  return planned;
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

/**
 * `POST /api/reprocess/{*blobName}[?sizes=thumb,medium]`: re-runs the pipeline on the blob's current version.
 * The sizes come from the query or from a JSON body `{ "sizes": ["thumb"] }` (not both); no sizes: every size.
 * 202 `{ id, statusUrl, historyUrl, sizes, alreadyPresent, renditionChanged, following?, note? }` with `Location` =
 * `statusUrl` (the app's own instance endpoint, never the Durable management URLs); `following: true`: no run was
 * started, because a run of this version in flight (any starter's) will write every requested size; `id` is that
 * run; `alreadyPresent` names the sizes whose every derivative of this version is stored with their settings and
 * `renditionChanged` those with any format stored with other settings, as read from the derivatives' metadata
 * when answering (the run re-records them without decoding; for `renditionChanged` it records
 * `rendition-changed` for those formats and renders any not stored); `note`
 * says so in words. 400 unknown sizes, a body that is not `{ sizes?: string[] }` or unsafe name, 404 no blob, 401/403 not an operator, 403/415 cross-site.
 */
export function createReprocessHandler(deps: () => ImageHttpDeps = productionHttpDeps) {
  return async (
    request: HttpRequest,
    client: ReprocessClient,
    context: InvocationContext,
  ): Promise<HttpResponseInit | HttpResponse> => {
    const { settings, blobService, derivativeBlobService, documents, authEnabled } = deps();
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
    const planned = await plannedLabels(
      { derivativeBlobService, settings },
      source,
      document,
      selection.sizes,
    );
    const alreadyPresent = labels.filter((label) => planned.get(label) === 'stored');
    const renditionChanged = labels.filter((label) => planned.get(label) === 'changed');
    const notes = [
      ...(inFlight === undefined ? [] : [FOLLOWING_NOTE]),
      ...(alreadyPresent.length > 0 ? [`${alreadyPresent.join(', ')}: ${ALREADY_PRESENT_NOTE}`] : []),
      ...(renditionChanged.length > 0 ? [`${renditionChanged.join(', ')}: ${RENDITION_CHANGED_NOTE}`] : []),
    ];
    return new HttpResponse({
      status: 202,
      headers: { location: links.statusUrl, 'cache-control': 'no-store' },
      jsonBody: {
        id: instanceId,
        ...links,
        sizes: labels,
        alreadyPresent,
        renditionChanged,
        ...(inFlight === undefined ? {} : { following: true }),
        ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
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
