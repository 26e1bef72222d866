import { isLoopbackHostname, LOOPBACK_HOSTS } from './loopback';
import { SettingError } from '../domain/errors';
import { nonEmpty, type Env } from './env';

/** Who may use the site and the console, and where derivative URLs point. */
export interface SiteSettings {
  /**
   * `DEV_USER_ID`: the fixed user of a local stack. When set, a request without an App Service authentication
   * principal is this user AND an operator. Refused unless the images account is a loopback emulator.
   */
  devUserId: string | undefined;
  /** `OPERATOR_ROLE`: the Entra ID app role (a `roles` claim) that opens the console API and reprocess. */
  operatorRole: string;
  /**
   * `DERIVATIVE_BASE_URL`: the delivery host the documents' `url`s use, e.g. `https://cdn.example.net`
   * (no trailing slash); the derivative's blob name, URL-encoded per segment, is appended. Unset: the blob URL.
   */
  derivativeBaseUrl: string | undefined;
  /**
   * Origins whose pages may send the state-changing requests: `SITE_ORIGINS` (comma-separated, e.g.
   * `https://photos.example.com`: a custom domain in front of the app) plus `https://{WEBSITE_HOSTNAME}`, the
   * app's own default host name, which App Service sets. From configuration, never from a request's Host.
   */
  siteOrigins: string[];
}

/** User ids become blob path segments `users/{userId}/`: Entra object ids (GUIDs) and short dev names fit. */
const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ROLE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$/;
export const DEFAULT_OPERATOR_ROLE = 'ImageOperator';

function devUserId(env: Env, imagesAreLoopbackEmulator: boolean): string | undefined {
  const id = nonEmpty(env, 'DEV_USER_ID');
  if (id === undefined) return undefined;
  if (!USER_ID.test(id)) throw new SettingError('DEV_USER_ID', 'a user id matching [A-Za-z0-9._-]{1,64}', id);
  // Like the key rules: a fixed, unauthenticated identity is for emulators only. Anywhere the images account
  // is real, the caller's identity must come from App Service authentication.
  if (!imagesAreLoopbackEmulator) {
    throw new SettingError(
      'DEV_USER_ID',
      `no dev user unless IMAGES_STORAGE is a loopback emulator (${LOOPBACK_HOSTS}: in Azure the user ` +
        'comes from App Service authentication)',
      id,
    );
  }
  return id;
}

function baseUrl(env: Env): string | undefined {
  const raw = nonEmpty(env, 'DERIVATIVE_BASE_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingError('DERIVATIVE_BASE_URL', 'an http(s) URL', raw);
  }
  // Browsers load these URLs from an https page: plain http only where a local emulator serves them.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHostname(url.hostname))) {
    throw new SettingError('DERIVATIVE_BASE_URL', `an https URL (http only for ${LOOPBACK_HOSTS})`, raw);
  }
  // `URL` drops an empty `?` or `#`, so the raw text is checked too.
  if (/[?#]/.test(raw) || url.username !== '' || url.password !== '') {
    throw new SettingError('DERIVATIVE_BASE_URL', 'an http(s) URL without query, fragment or user info', raw);
  }
  return raw.replace(/\/+$/, '');
}

function siteOrigins(env: Env): string[] {
  const raw = nonEmpty(env, 'SITE_ORIGINS');
  if (raw === undefined) return [];
  return raw.split(',').map((entry) => {
    const value = entry.trim();
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    // An origin exactly as a browser sends it: scheme, host, port; https except on loopback hosts.
    const secure =
      url?.protocol === 'https:' || (url?.protocol === 'http:' && isLoopbackHostname(url.hostname));
    if (url === undefined || !secure || url.origin !== value) {
      throw new SettingError(
        'SITE_ORIGINS',
        `comma-separated origins like "https://photos.example.com" (no path or trailing slash; http only for ${LOOPBACK_HOSTS})`,
        raw,
      );
    }
    return value;
  });
}

/** `https://{WEBSITE_HOSTNAME}` (App Service sets it to the app's default host name), or nothing locally. */
function appOrigin(env: Env): string[] {
  const host = nonEmpty(env, 'WEBSITE_HOSTNAME');
  if (host === undefined) return [];
  let url: URL | undefined;
  try {
    url = new URL(`https://${host}`);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.host !== host.toLowerCase()) {
    throw new SettingError('WEBSITE_HOSTNAME', 'a host name like "func-x.azurewebsites.net"', host);
  }
  return [url.origin];
}

/** Reads `DEV_USER_ID`, `OPERATOR_ROLE`, `DERIVATIVE_BASE_URL`, `SITE_ORIGINS` and `WEBSITE_HOSTNAME`; throws a SettingError naming a bad one. */
export function loadSiteSettings(env: Env, imagesAreLoopbackEmulator: boolean): SiteSettings {
  const role = nonEmpty(env, 'OPERATOR_ROLE') ?? DEFAULT_OPERATOR_ROLE;
  if (!ROLE.test(role))
    throw new SettingError('OPERATOR_ROLE', 'an app role value like "ImageOperator"', role);
  return {
    devUserId: devUserId(env, imagesAreLoopbackEmulator),
    operatorRole: role,
    derivativeBaseUrl: baseUrl(env),
    siteOrigins: [...new Set([...appOrigin(env), ...siteOrigins(env)])],
  };
}
