// Calls to the app's HTTP API, shared by the upload page and the console.

/**
 * A failed API call: the HTTP status, the body's `error` / `message` when it has them, and the body.
 * @param {number} status @param {string} code @param {string} message @param {any} [body]
 */
export class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    /** The whole JSON body, for answers that carry more than a message (a 409 names what is running). */
    this.body = body;
  }
}

/**
 * Fetches JSON; throws an ApiError with the server's explanation for any non-2xx answer. A 401 means nobody is
 * signed in (App Service authentication): the message says so.
 * @param {string} url @param {RequestInit} [init]
 */
export async function fetchJson(url, init = {}) {
  const response = await fetch(url, { ...init, headers: { accept: 'application/json', ...init.headers } });
  const text = await response.text();
  let body;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message =
      body && typeof body.message === 'string' ? body.message : `The server answered ${response.status}`;
    const code = body && typeof body.error === 'string' ? body.error : `http-${response.status}`;
    throw new ApiError(
      response.status,
      code,
      response.status === 401 ? `Please sign in. ${message}` : message,
      body,
    );
  }
  return body;
}

/** @param {string} url @param {unknown} body */
export function postJson(url, body) {
  return fetchJson(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The app's API root, from where the pages are served (`…/api/site/` → `…/api/`). */
export function apiUrl(path) {
  return new URL(`../${path}`, document.baseURI).href;
}

/** A blob name as a URL path (segments encoded, slashes kept). */
export function blobPath(blobName) {
  return blobName.split('/').map(encodeURIComponent).join('/');
}
