import { HttpRequest } from '@azure/functions';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSiteRoot, loadStaticFiles } from '../../src/site/staticFiles';
import { createSiteHandler } from '../../src/triggers/httpSite';

const files = loadStaticFiles();
const NOT_FOUND = 'Not found: no page or module of the site has this address.';
const handler = createSiteHandler(() => ({
  files,
  blobOrigin: 'https://stimages.blob.core.windows.net',
  deliveryOrigin: 'https://img.example.net',
}));

function get(
  pathParam: string | undefined,
  url: string,
  headers: Record<string, string> = {},
  method: 'GET' | 'HEAD' = 'GET',
) {
  return handler(
    new HttpRequest({
      method,
      url,
      params: pathParam === undefined ? {} : { path: pathParam },
      headers,
    }),
  );
}

describe('GET /api/site/{*path}', () => {
  it('serves the upload page at /api/site/ with a CSP that allows only our scripts and the two storage origins', async () => {
    const response = await get(undefined, 'https://app.example/api/site/');
    expect(response.status).toBe(200);
    expect((response.body as Buffer).toString('utf8')).toBe(
      readFileSync(path.join(findSiteRoot(), 'index.html'), 'utf8'),
    );
    const headers = response.headers as Record<string, string>;
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain(
      "connect-src 'self' https://stimages.blob.core.windows.net",
    );
    expect(headers['content-security-policy']).toContain(
      "img-src 'self' data: blob: https://img.example.net",
    );
    expect(headers['x-content-type-options']).toBe('nosniff');
  });

  it('redirects /api/site to /api/site/ so relative module URLs resolve', async () => {
    const response = await get(undefined, 'https://app.example/api/site?x=1');
    expect(response).toMatchObject({ status: 308, headers: { location: '/api/site/?x=1' } });
  });

  it('serves the console, the modules and the thumbhash package as JavaScript; 304 on a matching ETag', async () => {
    for (const name of ['console.html', 'upload.js', 'console.js', 'site.css']) {
      expect((await get(name, `https://app.example/api/site/${name}`)).status, name).toBe(200);
    }
    const thumbhash = await get('vendor/thumbhash.js', 'https://app.example/api/site/vendor/thumbhash.js');
    expect((thumbhash.headers as Record<string, string>)['content-type']).toBe(
      'text/javascript; charset=utf-8',
    );
    expect((thumbhash.body as Buffer).toString('utf8')).toContain('export function thumbHashToDataURL');
    const eTag = (thumbhash.headers as Record<string, string>).etag ?? '';
    const again = await get('vendor/thumbhash.js', 'https://app.example/api/site/vendor/thumbhash.js', {
      'if-none-match': eTag,
    });
    expect(again.status).toBe(304);
  });

  it('404 for anything not in the site folder (no path reaches other files)', async () => {
    for (const name of [
      '../package.json',
      '..%2Fpackage.json',
      'missing.html',
      'vendor/../upload.js',
      'README.md',
    ]) {
      expect((await get(name, `https://app.example/api/site/${name}`)).status, name).toBe(404);
    }
  });

  it('a file with a trailing slash is a 404; every 404 carries nosniff and the CSP and does not echo the path', async () => {
    for (const [pathParam, url] of [
      ['index.html', 'https://app.example/api/site/index.html/'],
      ['index.html/', 'https://app.example/api/site/index.html/'],
      ['console.html', 'https://app.example/api/site/console.html/'],
      [
        '<script>alert(1)</script>.html',
        'https://app.example/api/site/%3Cscript%3Ealert(1)%3C/script%3E.html',
      ],
    ] as const) {
      const response = await get(pathParam, url);
      expect(response.status, url).toBe(404);
      const headers = response.headers as Record<string, string>;
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.body).toBe(NOT_FOUND);
    }
  });

  it('HEAD answers as GET does, headers and the length of the body, without the body', async () => {
    const page = readFileSync(path.join(findSiteRoot(), 'index.html'));
    for (const [pathParam, status, length] of [
      [undefined, 200, page.length],
      ['console.html', 200, readFileSync(path.join(findSiteRoot(), 'console.html')).length],
      ['nope.html', 404, Buffer.byteLength(NOT_FOUND)],
    ] as const) {
      const url = `https://app.example/api/site/${pathParam ?? ''}`;
      const [asGet, asHead] = [await get(pathParam, url), await get(pathParam, url, {}, 'HEAD')];
      expect(asHead.status).toBe(status);
      expect(asHead.body).toBeUndefined();
      const { 'content-length': contentLength, ...headHeaders } = asHead.headers as Record<string, string>;
      expect(contentLength).toBe(String(length));
      expect(headHeaders).toEqual(asGet.headers);
    }
    expect((await get(undefined, 'https://app.example/api/site', {}, 'HEAD')).status).toBe(308);
  });
});
