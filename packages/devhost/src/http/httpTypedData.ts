import type { IncomingHttpHeaders } from 'node:http';
import type { TypedData } from '../contracts';

/** Header map as the worker passes it: lower-case names, repeated values joined with ", ". */
export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

/** The trigger's `http` typed data (`RpcHttpData`): method, absolute url, headers, query, params, body bytes. */
export function toHttpTypedData(request: {
  method: string;
  url: URL;
  headers: Record<string, string>;
  params: Record<string, string>;
  body: Buffer;
}): TypedData {
  const query: Record<string, string> = {};
  for (const [name, value] of request.url.searchParams) query[name] ??= value;
  return {
    http: {
      method: request.method,
      url: request.url.href,
      headers: request.headers,
      query,
      params: request.params,
      body: { bytes: request.body },
    },
  };
}

interface RpcNullable<T> {
  value?: T;
}

interface RpcHttpCookie {
  name?: string;
  value?: string;
  domain?: RpcNullable<string>;
  path?: RpcNullable<string>;
  expires?: RpcNullable<{ seconds?: number }>;
  secure?: RpcNullable<boolean>;
  httpOnly?: RpcNullable<boolean>;
  sameSite?: 'none' | 'lax' | 'strict' | 'explicitNone';
  maxAge?: RpcNullable<number>;
}

interface RpcHttpResponse {
  statusCode?: string;
  headers?: Record<string, string>;
  cookies?: RpcHttpCookie[];
  body?: TypedData;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

/** A `Set-Cookie` value from the worker's cookie shape. */
export function serializeCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ''}=${cookie.value ?? ''}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  if (cookie.expires?.value?.seconds !== undefined) {
    parts.push(`Expires=${new Date(cookie.expires.value.seconds * 1000).toUTCString()}`);
  }
  if (cookie.maxAge?.value !== undefined) parts.push(`Max-Age=${cookie.maxAge.value}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  if (cookie.sameSite === 'lax') parts.push('SameSite=Lax');
  else if (cookie.sameSite === 'strict') parts.push('SameSite=Strict');
  else if (cookie.sameSite === 'explicitNone') parts.push('SameSite=None');
  return parts.join('; ');
}

function bodyBytes(body: TypedData | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if (body.bytes) return Buffer.from(body.bytes);
  if (body.string !== undefined) return Buffer.from(body.string, 'utf8');
  if (body.json !== undefined) return Buffer.from(body.json, 'utf8');
  return Buffer.alloc(0);
}

/** The HTTP response from the function's `$return` http typed data; no value means 200 with no body. */
export function fromHttpReturn(returnValue: TypedData | undefined): HttpReply {
  const http = returnValue?.http as RpcHttpResponse | undefined;
  if (!http) return { status: 200, headers: {}, cookies: [], body: Buffer.alloc(0) };
  const status = Number(http.statusCode ?? '200');
  return {
    status: Number.isInteger(status) && status >= 100 && status <= 999 ? status : 200,
    headers: { ...(http.headers ?? {}) },
    cookies: (http.cookies ?? []).map(serializeCookie),
    body: bodyBytes(http.body),
  };
}
