import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { SiteSettings } from '../config/site';
import { CLIENT_PRINCIPAL_HEADER, parseClientPrincipal } from './clientPrincipal';

/** Who is calling: a user id for `users/{userId}/` and whether they hold the operator role. */
export interface Caller {
  userId: string;
  operator: boolean;
  /** `dev` on a local stack (`DEV_USER_ID`), `entra` behind App Service authentication. */
  source: 'dev' | 'entra';
}

export type CallerResult = { caller: Caller } | { response: HttpResponseInit };

/** Whether App Service authentication runs in front of the app (the platform sets this for the worker). */
export function appServiceAuthEnabled(
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  return (env.WEBSITE_AUTH_ENABLED ?? '').trim().toLowerCase() === 'true';
}

function unauthorized(message: string): { response: HttpResponseInit } {
  return { response: { status: 401, jsonBody: { error: 'unauthenticated', message } } };
}

/**
 * The caller of an HTTP function. Locally (`DEV_USER_ID`, loopback emulators only) every request is that user
 * and an operator. Otherwise only a principal that App Service authentication vouched for counts: with the
 * middleware off the header could be forged, so nothing is trusted and every request is 401.
 */
export function resolveCaller(
  request: Pick<HttpRequest, 'headers'>,
  site: SiteSettings,
  authEnabled: boolean = appServiceAuthEnabled(),
): CallerResult {
  if (site.devUserId !== undefined)
    return { caller: { userId: site.devUserId, operator: true, source: 'dev' } };
  if (!authEnabled) {
    return unauthorized(
      'App Service authentication is not enabled on this app, so no caller can be identified ' +
        '(a local stack sets DEV_USER_ID)',
    );
  }
  const header = request.headers.get(CLIENT_PRINCIPAL_HEADER);
  if (header === null || header.trim() === '') return unauthorized('Sign in first (/.auth/login/aad)');
  const principal = parseClientPrincipal(header);
  if ('problem' in principal) return unauthorized(principal.problem);
  return {
    caller: {
      userId: principal.userId,
      operator: principal.roles.includes(site.operatorRole),
      source: 'entra',
    },
  };
}

/** The caller when they hold the operator role; 401 without a caller, 403 without the role. */
export function requireOperator(
  request: Pick<HttpRequest, 'headers'>,
  site: SiteSettings,
  authEnabled: boolean = appServiceAuthEnabled(),
): CallerResult {
  const result = resolveCaller(request, site, authEnabled);
  if ('response' in result || result.caller.operator) return result;
  return {
    response: {
      status: 403,
      jsonBody: {
        error: 'forbidden',
        message: `This needs the "${site.operatorRole}" app role, which the signed-in user does not have`,
      },
    },
  };
}

/** Blobs a user uploaded through the site live under this prefix. */
export function userPrefix(userId: string): string {
  return `users/${userId}/`;
}
