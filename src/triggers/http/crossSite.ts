import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { isLoopbackHostname } from '../../config/loopback';

/**
 * What a state-changing request must look like to be acted on, whatever cookie it carries. App Service
 * authentication keeps the session in a cookie (`AppServiceAuthSession`), which a browser attaches to a form
 * post or a `fetch` from ANY site; without this check, another site could start uploads, reprocess runs or
 * backfills as the signed-in user (cross-site request forgery).
 *
 * - `Sec-Fetch-Site: cross-site` (Fetch Metadata, sent by current browsers) is refused outright.
 * - An `Origin` header (browsers send it on every POST, same-origin included) must be one of the configured
 *   origins (`allowedOrigins`); `Origin: null` (sandboxed frames, privacy redirects) is refused.
 * - A body must be declared `application/json`: an HTML form can only send `application/x-www-form-urlencoded`,
 *   `multipart/form-data` or `text/plain`, and a cross-site `fetch` with `application/json` needs a CORS
 *   preflight, which this app never grants. Without a body, no `Content-Type` or `application/json` only.
 * Non-browser callers (the CLIs, curl) send no `Origin` and no Fetch Metadata, so they pass.
 */
export interface RequestShape {
  /** The route reads a JSON body, so `Content-Type: application/json` is required. */
  jsonBody: 'required' | 'optional';
}

/**
 * The origins whose pages may send state-changing requests: `siteOrigins` from configuration (`SITE_ORIGINS`
 * and, in Azure, `https://{WEBSITE_HOSTNAME}`, see config/site.ts), never a name taken from the request's own
 * Host, which a DNS-rebinding page chooses (its name, resolving to the app's address). Only on a loopback host
 * (the local stack, whose server answers loopback Host values only) is the request's own origin the site's.
 */
export function allowedOrigins(requestUrl: string, siteOrigins: readonly string[]): Set<string> {
  const url = new URL(requestUrl);
  return new Set([...(isLoopbackHostname(url.hostname) ? [url.origin] : []), ...siteOrigins]);
}

function refuse(status: 403 | 415, error: string, message: string): HttpResponseInit {
  return { status, headers: { 'cache-control': 'no-store' }, jsonBody: { error, message } };
}

/** The media type of a `Content-Type` header without parameters, lower-cased; '' when absent. */
function mediaType(header: string | null): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * The one check every state-changing HTTP trigger runs before anything else: undefined when the request may
 * proceed, else the answer: 403 `cross-site-request` (another site's page sent it) or 415
 * `unsupported-media-type` (a body that is not declared JSON).
 */
export function refuseCrossSite(
  request: Pick<HttpRequest, 'headers' | 'url'>,
  siteOrigins: readonly string[],
  shape: RequestShape,
): HttpResponseInit | undefined {
  const fetchSite = request.headers.get('sec-fetch-site')?.trim().toLowerCase();
  if (fetchSite === 'cross-site') {
    return refuse(
      403,
      'cross-site-request',
      'Refused: this request came from a page on another site (Sec-Fetch-Site: cross-site)',
    );
  }
  const origin = request.headers.get('origin');
  if (origin !== null && !allowedOrigins(request.url, siteOrigins).has(origin.trim())) {
    return refuse(
      403,
      'cross-site-request',
      `Refused: requests from the origin ${JSON.stringify(origin.slice(0, 200))} are not accepted; only this ` +
        `site's pages may send them`,
    );
  }
  const type = mediaType(request.headers.get('content-type'));
  if (type === '' ? shape.jsonBody === 'required' : type !== 'application/json') {
    return refuse(
      415,
      'unsupported-media-type',
      `Expected Content-Type: application/json but received ${type === '' ? 'none' : JSON.stringify(type)}`,
    );
  }
  return undefined;
}
