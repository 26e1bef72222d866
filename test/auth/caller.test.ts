import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { requireOperator, resolveCaller } from '../../src/auth/caller';
import { parseClientPrincipal } from '../../src/auth/clientPrincipal';
import type { SiteSettings } from '../../src/config/site';
import { principalHeader, USER_OID } from './support';

const azure: SiteSettings = {
  devUserId: undefined,
  operatorRole: 'ImageOperator',
  derivativeBaseUrl: undefined,
  siteOrigins: [],
};
const local: SiteSettings = { ...azure, devUserId: 'dev-user' };

function request(headers: Record<string, string> = {}) {
  return new HttpRequest({ method: 'GET', url: 'https://app.example/api/uploads', headers });
}

describe('parseClientPrincipal', () => {
  it('reads the Entra object id (lower-cased), the roles and the name', () => {
    const parsed = parseClientPrincipal(
      principalHeader({ objectId: USER_OID.toUpperCase(), roles: ['ImageOperator', 'Other'] }),
    );
    expect(parsed).toEqual({ userId: USER_OID, roles: ['ImageOperator', 'Other'], name: 'Ada Lovelace' });
  });

  it('takes roles from the role_typ the principal names', () => {
    const custom = {
      auth_typ: 'aad',
      role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
      claims: [
        { typ: 'oid', val: USER_OID },
        { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'ImageOperator' },
      ],
    };
    const parsed = parseClientPrincipal(Buffer.from(JSON.stringify(custom)).toString('base64'));
    expect(parsed).toMatchObject({ userId: USER_OID, roles: ['ImageOperator'] });
  });

  it('refuses a principal without an object id, and one that is not base64 JSON', () => {
    expect(parseClientPrincipal(principalHeader())).toEqual({
      problem: 'x-ms-client-principal carries no Entra object id claim',
    });
    expect(parseClientPrincipal('not json')).toEqual({
      problem: 'x-ms-client-principal is not base64-encoded JSON',
    });
    expect(parseClientPrincipal(Buffer.from('{"claims":"x"}').toString('base64'))).toEqual({
      problem: 'x-ms-client-principal has no claims array',
    });
  });
});

describe('resolveCaller', () => {
  it('behind App Service authentication: the principal is the caller; no header is 401', () => {
    const signedIn = resolveCaller(
      request({ 'x-ms-client-principal': principalHeader({ objectId: USER_OID }) }),
      azure,
      true,
    );
    expect(signedIn).toEqual({ caller: { userId: USER_OID, operator: false, source: 'entra' } });
    const anonymous = resolveCaller(request(), azure, true);
    expect(anonymous).toMatchObject({ response: { status: 401, jsonBody: { error: 'unauthenticated' } } });
  });

  it('without App Service authentication a principal header is not trusted (it could be forged)', () => {
    const forged = resolveCaller(
      request({
        'x-ms-client-principal': principalHeader({ objectId: USER_OID, roles: ['ImageOperator'] }),
      }),
      azure,
      false,
    );
    expect(forged).toMatchObject({ response: { status: 401 } });
    expect(JSON.stringify(forged)).toContain('App Service authentication is not enabled');
  });

  it('a local stack (DEV_USER_ID) is the dev user and an operator', () => {
    expect(resolveCaller(request(), local, false)).toEqual({
      caller: { userId: 'dev-user', operator: true, source: 'dev' },
    });
  });

  it('requireOperator: 403 naming the role without it, the caller with it', () => {
    const user = requireOperator(
      request({ 'x-ms-client-principal': principalHeader({ objectId: USER_OID }) }),
      azure,
      true,
    );
    expect(user).toMatchObject({ response: { status: 403, jsonBody: { error: 'forbidden' } } });
    expect(JSON.stringify(user)).toContain('ImageOperator');
    const operator = requireOperator(
      request({
        'x-ms-client-principal': principalHeader({ objectId: USER_OID, roles: ['ImageOperator'] }),
      }),
      azure,
      true,
    );
    expect(operator).toEqual({ caller: { userId: USER_OID, operator: true, source: 'entra' } });
  });
});
