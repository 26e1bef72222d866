import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { randomBytes } from 'node:crypto';
import { resolveCaller, userPrefix } from '../auth/caller';
import { getImagesBlobService } from '../storage/blobServiceClient';
import { getSettings, type Settings } from '../config/settings';
import { invocationLogger } from '../logging';
import { createUploadSasSigner, type UploadSasSigner } from '../storage/uploadSas';
import { safeFileName } from '../uploads/fileName';
import { parseUploadRequest } from '../uploads/uploadRequest';
import { blobPath } from '../domain/blobPath';
import { UPLOADS_FUNCTION } from '../domain/functionNames';
import { refuseCrossSite } from './http/crossSite';

export interface UploadDeps {
  settings: Settings;
  signer: UploadSasSigner;
  /** Whether App Service authentication is on (default: the platform's `WEBSITE_AUTH_ENABLED`). */
  authEnabled?: boolean;
}

let signer: UploadSasSigner | undefined;

/** Built on first request; the signer caches its user-delegation key per worker. */
export function productionUploadDeps(): UploadDeps {
  signer ??= createUploadSasSigner(getImagesBlobService());
  return { settings: getSettings(), signer };
}

/** 64 random bits: the name is unguessable and two uploads of one file never collide. */
function randomPart(): string {
  return randomBytes(8).toString('hex');
}

/**
 * `POST /api/uploads` `{ fileName, contentType, size }` → 201
 * `{ blobName, uploadUrl, expiresOn, statusUrl, headers }`: a create-only SAS for one new blob
 * `users/{userId}/{16 hex}-{safe file name}` in the unprocessed container. The browser PUTs the bytes there
 * itself (Put Blob with `headers`), so no image passes through the function app. 400 for a body the pipeline
 * would refuse anyway (not an image type, empty, over `MAX_SOURCE_BYTES`), 401 without a signed-in caller,
 * 403 `cross-site-request` / 415 `unsupported-media-type` for what another site could send (see crossSite.ts).
 */
export function createUploadHandler(deps: () => UploadDeps = productionUploadDeps) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const { settings, signer: sas, authEnabled } = deps();
    const crossSite = refuseCrossSite(request, settings.site.siteOrigins, { jsonBody: 'required' });
    if (crossSite) return crossSite;
    const who = resolveCaller(request, settings.site, authEnabled);
    if ('response' in who) return who.response;

    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return {
        status: 400,
        jsonBody: {
          error: 'invalid-request',
          message: 'Expected a JSON body { fileName, contentType, size }',
        },
      };
    }
    const parsed = parseUploadRequest(body, settings.maxSourceBytes);
    if ('refusal' in parsed) {
      return {
        status: 400,
        jsonBody: { error: parsed.refusal, message: parsed.message, maxBytes: settings.maxSourceBytes },
      };
    }

    const { fileName, contentType, size } = parsed.request;
    const blobName = `${userPrefix(who.caller.userId)}${randomPart()}-${safeFileName(fileName)}`;
    const signed = await sas.sign(settings.unprocessedContainer, blobName);
    const statusUrl = new URL(`/api/images/${blobPath(blobName)}`, request.url).href;
    invocationLogger(context, { blobName }).info('upload SAS issued', {
      size,
      contentType,
      signer: sas.kind,
      expiresOn: signed.expiresOn.toISOString(),
    });
    return {
      status: 201,
      headers: { 'cache-control': 'no-store', location: statusUrl },
      jsonBody: {
        blobName,
        uploadUrl: signed.url,
        expiresOn: signed.expiresOn.toISOString(),
        statusUrl,
        // What the PUT must send: one Put Blob (a block blob) with the content type the pipeline records.
        headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': contentType },
      },
    };
  };
}

export const createUpload = createUploadHandler();

// Anonymous at the host: the caller is the App Service authentication principal, checked in the handler
// (a browser holds no function key).
app.http(UPLOADS_FUNCTION, {
  route: 'uploads',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: createUpload,
});
