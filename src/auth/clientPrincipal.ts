/**
 * App Service authentication ("Easy Auth") in front of the function app validates the caller's session or token
 * and passes the result as `x-ms-client-principal`: base64 of
 * `{ auth_typ, name_typ, role_typ, claims: [{ typ, val }] }`. It removes any such header a client sends, so the
 * header is trustworthy only where that middleware is on (`WEBSITE_AUTH_ENABLED=True`, set by the platform).
 */
export const CLIENT_PRINCIPAL_HEADER = 'x-ms-client-principal';

/** The Entra object id: stable for a user across apps and sessions (unlike `sub`, or a renamable `name`). */
const OBJECT_ID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const DEFAULT_ROLE_CLAIM = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
const NAME_CLAIMS = [
  'name',
  'preferred_username',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
];

export interface ClientPrincipal {
  /** The Entra object id (a GUID). */
  userId: string;
  /** App role values assigned to the caller (`roles` claims). */
  roles: string[];
  /** Display name, when the token carries one. */
  name: string | undefined;
}

interface RawClaim {
  typ?: unknown;
  val?: unknown;
}

/**
 * The principal in an `x-ms-client-principal` value, or a reason it is unusable (malformed, or without an
 * object id, e.g. a provider other than Entra ID).
 */
export function parseClientPrincipal(header: string): ClientPrincipal | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return { problem: `${CLIENT_PRINCIPAL_HEADER} is not base64-encoded JSON` };
  }
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { claims?: unknown }).claims)) {
    return { problem: `${CLIENT_PRINCIPAL_HEADER} has no claims array` };
  }
  const body = raw as { claims: RawClaim[]; role_typ?: unknown };
  const roleType = typeof body.role_typ === 'string' ? body.role_typ : DEFAULT_ROLE_CLAIM;
  const claims = body.claims.filter(
    (claim): claim is { typ: string; val: string } =>
      typeof claim.typ === 'string' && typeof claim.val === 'string',
  );
  const first = (types: readonly string[]): string | undefined =>
    types.map((type) => claims.find((claim) => claim.typ === type)?.val).find((v) => v !== undefined);
  const userId = first(OBJECT_ID_CLAIMS);
  if (userId === undefined || !/^[0-9a-fA-F-]{36}$/.test(userId)) {
    return { problem: `${CLIENT_PRINCIPAL_HEADER} carries no Entra object id claim` };
  }
  const roles = claims.filter((claim) => claim.typ === roleType || claim.typ === 'roles').map((c) => c.val);
  return { userId: userId.toLowerCase(), roles: [...new Set(roles)], name: first(NAME_CLAIMS) };
}
