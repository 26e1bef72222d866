import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { getDerivativesBlobService, getImagesBlobService } from '../storage/blobServiceClient';
import { getSettings } from '../config/settings';
import { loadStaticFiles, type StaticFile } from '../site/staticFiles';
import { SITE_FUNCTION } from '../domain/functionNames';

export interface SiteDeps {
  files: ReadonlyMap<string, StaticFile>;
  /** Origins the pages may PUT to (the images account) and load derivatives from (the delivery host, else the derivatives account). */
  blobOrigin: string;
  deliveryOrigin: string;
}

let cached: SiteDeps | undefined;

function productionSiteDeps(): SiteDeps {
  if (!cached) {
    const blobOrigin = new URL(getImagesBlobService().url).origin;
    const base = getSettings().site.derivativeBaseUrl;
    cached = {
      files: loadStaticFiles(),
      blobOrigin,
      // Without a delivery host, `url`s are the derivatives account's own blob URLs.
      deliveryOrigin: new URL(base ?? getDerivativesBlobService().url).origin,
    };
  }
  return cached;
}

/**
 * Only our own scripts and styles run; the browser may talk to this app and PUT to the images account, and
 * show pictures from the delivery host (plus `data:` for placeholders and `blob:` for local previews).
 */
export function contentSecurityPolicy(deps: Pick<SiteDeps, 'blobOrigin' | 'deliveryOrigin'>): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: blob: ${deps.deliveryOrigin}`,
    `connect-src 'self' ${deps.blobOrigin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * `HEAD` answers exactly as `GET` would (status and headers, `Content-Length` of the body GET would send),
 * without the body (RFC 9110 §9.3.2): link checkers and uptime probes use it.
 */
function withoutBody(response: HttpResponseInit): HttpResponseInit {
  const { body, ...rest } = response;
  const length = body === undefined ? 0 : Buffer.byteLength(body as string | Buffer);
  return {
    ...rest,
    headers: { ...(rest.headers as Record<string, string>), 'content-length': String(length) },
  };
}

/**
 * `GET|HEAD /api/site/{*path}`: the upload page (`index.html`), the console (`console.html`) and their modules,
 * served by the function app itself, anonymously (the APIs they call check the caller). `/api/site` redirects
 * to `/api/site/` so the pages' relative module URLs resolve.
 */
export function createSiteHandler(deps: () => SiteDeps = productionSiteDeps) {
  const serve = serveFile(deps);
  return async (request: HttpRequest): Promise<HttpResponseInit> => {
    const response = await serve(request);
    return request.method.toUpperCase() === 'HEAD' ? withoutBody(response) : response;
  };
}

function serveFile(deps: () => SiteDeps) {
  return (request: HttpRequest): Promise<HttpResponseInit> => {
    const requested = request.params.path ?? '';
    const url = new URL(request.url);
    if (requested === '' && !url.pathname.endsWith('/')) {
      return Promise.resolve({ status: 308, headers: { location: `${url.pathname}/${url.search}` } });
    }
    const { files, ...origins } = deps();
    // Every answer, a 404 included, carries the same protective headers.
    const protective = {
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'content-security-policy': contentSecurityPolicy(origins),
    };
    const name = requested === '' ? 'index.html' : requested;
    // A file's URL with a trailing slash (`index.html/`) would load the page with every relative asset URL
    // one level too deep: it names no file. The path is not echoed back.
    const found = requested !== '' && url.pathname.endsWith('/') ? undefined : files.get(name);
    if (!found) {
      return Promise.resolve({
        status: 404,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...protective },
        body: 'Not found: no page or module of the site has this address.',
      });
    }
    const headers: Record<string, string> = {
      'content-type': found.contentType,
      // Revalidate every time (a deploy changes files under the same names); the ETag makes that a 304.
      'cache-control': 'no-cache',
      etag: found.eTag,
      ...protective,
    };
    if (request.headers.get('if-none-match') === found.eTag) return Promise.resolve({ status: 304, headers });
    return Promise.resolve({ status: 200, headers, body: found.body });
  };
}

export const site = createSiteHandler();

// Anonymous: static pages and scripts hold no data; every API they call checks the caller itself.
app.http(SITE_FUNCTION, {
  route: 'site/{*path}',
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  handler: site,
});
