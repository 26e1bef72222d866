import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { resolveCaller, userPrefix } from '../auth/caller';
import { IMAGE_STATUS_FUNCTION } from '../domain/functionNames';
import { documentIdFor, instanceIdFor, unquoteETag } from '../domain/ids';
import type { ImageDocument } from '../domain/types';
import { invocationLogger } from '../logging';
import { blobNameFrom } from './http/blobNameParam';
import { productionHttpDeps, type ImageHttpDeps } from './http/deps';
import { jsonError } from './http/jsonResponses';
import { readBlobVersion, readImageDocument, type BlobVersion } from './http/sourceLookup';
import { findInstanceStatus } from './instanceStatus';
import { instanceLinks } from './http/instanceLinks';

export type StatusClient = Pick<DurableClient, 'getStatus'>;

/**
 * Instance ids to try, most relevant first. The document names the run that wrote it (a reprocess run
 * included); but when the blob has since been overwritten, the run for its current eTag is the newer one.
 */
function candidateInstanceIds(
  container: string,
  blobName: string,
  document: ImageDocument | undefined,
  blob: BlobVersion | undefined,
): string[] {
  const current = blob ? instanceIdFor(container, blobName, blob.eTag) : undefined;
  const documented = document?.instanceId;
  const documentIsCurrent =
    document !== undefined &&
    (blob === undefined || unquoteETag(document.sourceETag) === unquoteETag(blob.eTag));
  const ordered = documentIsCurrent ? [documented, current] : [current, documented];
  return [...new Set(ordered.filter((id): id is string => id !== undefined && id !== ''))];
}

async function latestInstance(
  client: StatusClient,
  instanceIds: readonly string[],
): Promise<DurableOrchestrationStatus | undefined> {
  for (const instanceId of instanceIds) {
    const status = await findInstanceStatus(client, instanceId);
    if (status) return status;
  }
  return undefined;
}

/** `GET /api/images/{*blobName}`: the document and the latest orchestration of one source blob. */
export function createImageStatusHandler(deps: () => ImageHttpDeps = productionHttpDeps) {
  return async (
    request: HttpRequest,
    client: StatusClient,
    context: InvocationContext,
  ): Promise<HttpResponseInit> => {
    const name = blobNameFrom(request);
    if (!name.ok) return name.response;
    const { blobName } = name;
    const { settings, blobService, documents, authEnabled } = deps();
    const who = resolveCaller(request, settings.site, authEnabled);
    if ('response' in who) return who.response;
    const container = settings.unprocessedContainer;
    const documentId = documentIdFor(container, blobName);
    const notFound = (): HttpResponseInit =>
      jsonError(
        404,
        'not-found',
        `No blob, document or orchestration is known for "${blobName}" in ${container}`,
        {
          blobName,
          documentId,
        },
      );
    // A user sees only their own uploads, and another user's blob is indistinguishable from a missing one.
    if (!who.caller.operator && !blobName.startsWith(userPrefix(who.caller.userId))) return notFound();

    const [document, blob] = await Promise.all([
      readImageDocument(documents, documentId),
      readBlobVersion(blobService, container, blobName),
    ]);
    const instance = await latestInstance(client, candidateInstanceIds(container, blobName, document, blob));
    if (!document && !blob && !instance) return notFound();

    invocationLogger(context, { blobName, instanceId: instance?.instanceId }).info('status read', {
      runtimeStatus: instance?.runtimeStatus ?? null,
      documentStatus: document?.status ?? null,
    });
    return {
      status: 200,
      jsonBody: {
        blobName,
        documentId,
        instanceId: instance?.instanceId ?? null,
        runtimeStatus: instance?.runtimeStatus ?? null,
        customStatus: instance?.customStatus ?? null,
        output: instance?.output ?? null,
        createdTime: instance?.createdTime ?? null,
        lastUpdatedTime: instance?.lastUpdatedTime ?? null,
        blob: blob ?? null,
        document: document ?? null,
        // Operators get the app's own instance endpoint; the Durable management URLs (their system key can
        // terminate or purge any instance) reach no browser.
        ...(instance && who.caller.operator ? instanceLinks(request, instance.instanceId) : {}),
      },
    };
  };
}

export const imageStatus = createImageStatusHandler();

// Anonymous at the host, authorised in the handler: the upload page polls this from the browser, which holds no
// function key. A signed-in user reads only `users/{their id}/…`; operators also get the instance's links.
df.app.client.http(IMAGE_STATUS_FUNCTION, {
  route: 'images/{*blobName}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: imageStatus,
});
