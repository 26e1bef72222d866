import type { SizeSpec } from '../domain/types';
import { isLoopbackHostname, isLoopbackUrl, LOOPBACK_HOSTS } from './loopback';
import { SettingError } from '../domain/errors';
import { fromDecimalText, positiveInteger, ReceivedDescription } from '../domain/validation';
import { loadSiteSettings, type SiteSettings } from './site';
import { parseRetiredSizes, parseSizes } from './sizes';
import { nonLocalConnectionString, redactConnectionString } from './storageConnectionString';

export type Env = Readonly<Record<string, string | undefined>>;

/** How a client reaches a service: a connection string/key (emulators only) or an Entra identity. */
export type BlobConnection =
  | { kind: 'connectionString'; connectionString: string; accountName: string }
  | { kind: 'identity'; serviceUri: string; accountName: string; credential: IdentityCredential };

export type CosmosAuth = { kind: 'key'; key: string } | { kind: 'identity'; credential: IdentityCredential };

/** `managedidentity` with an optional client id (user-assigned); otherwise DefaultAzureCredential. */
export interface IdentityCredential {
  managedIdentity: boolean;
  clientId: string | undefined;
}

export interface Settings {
  images: BlobConnection;
  unprocessedContainer: string;
  processedContainer: string;
  cosmos: { endpoint: string; auth: CosmosAuth; database: string; container: string };
  sizes: SizeSpec[];
  /** `RETIRED_SIZES`: labels whose activities stay registered for instances that planned them; never planned. */
  retiredSizes: string[];
  /** `REDRIVE_DELAYS_SECONDS`: waits before each re-drive of sizes that ended `internal`; see RetryPlan. */
  redriveDelaysSeconds: number[];
  maxSourceBytes: number;
  maxSourcePixels: number;
  /** Uploads, the site and the console (`DEV_USER_ID`, `OPERATOR_ROLE`, `DERIVATIVE_BASE_URL`). */
  site: SiteSettings;
}

const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const DEFAULT_MAX_SOURCE_BYTES = 50 * 1024 * 1024;
const DEFAULT_MAX_SOURCE_PIXELS = 50_000_000;

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function required(env: Env, name: string, expected: string): string {
  const value = nonEmpty(env, name);
  if (value === undefined) throw new SettingError(name, expected, env[name]);
  return value;
}

function httpUrl(env: Env, name: string): string {
  const value = required(env, name, 'an http(s) URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SettingError(name, 'an http(s) URL', value);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new SettingError(name, 'an http(s) URL', value);
  return value.replace(/\/+$/, '');
}

function positiveIntegerSetting(env: Env, name: string, fallback: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const value = positiveInteger(fromDecimalText(raw));
  if (value === undefined) throw new SettingError(name, 'a positive integer', raw);
  return value;
}

/**
 * Default re-drive schedule: 5, 15 and 40 minutes after the first round (about an hour in all): long enough for
 * a storage or Cosmos incident, a role assignment still propagating or a throttled account to clear, short
 * enough that the document is repaired the same hour.
 */
export const DEFAULT_REDRIVE_DELAYS_SECONDS: readonly number[] = Object.freeze([300, 900, 2400]);
const MAX_REDRIVE_ROUNDS = 10;
/** A week: far beyond any sensible wait, and within what every Durable storage provider schedules. */
const MAX_REDRIVE_DELAY_SECONDS = 7 * 24 * 3600;

function delayList(env: Env, name: string, fallback: readonly number[]): number[] {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return [...fallback];
  const expected = `a comma-separated list of 1-${MAX_REDRIVE_ROUNDS} whole seconds, each 1-${MAX_REDRIVE_DELAY_SECONDS}`;
  const parts = raw.split(',').map((part) => part.trim());
  if (parts.length > MAX_REDRIVE_ROUNDS) throw new SettingError(name, expected, raw);
  return parts.map((part) => {
    const value = positiveInteger(fromDecimalText(part), MAX_REDRIVE_DELAY_SECONDS);
    if (value === undefined) throw new SettingError(name, expected, raw);
    return value;
  });
}

function containerName(env: Env, name: string, fallback: string): string {
  const value = nonEmpty(env, name) ?? fallback;
  if (!CONTAINER_NAME.test(value)) throw new SettingError(name, 'a valid blob container name', value);
  return value;
}

function identityCredential(env: Env, prefix: string): IdentityCredential {
  const credential = nonEmpty(env, `${prefix}__credential`);
  if (credential !== undefined && credential.toLowerCase() !== 'managedidentity') {
    throw new SettingError(`${prefix}__credential`, '"managedidentity" or nothing', credential);
  }
  return { managedIdentity: credential !== undefined, clientId: nonEmpty(env, `${prefix}__clientId`) };
}

/** The account name an Event Grid topic must name: from the connection string, or the service URI. */
export function accountNameFromConnectionString(connectionString: string): string | undefined {
  if (/UseDevelopmentStorage=true/i.test(connectionString)) return 'devstoreaccount1';
  return /(?:^|;)\s*AccountName=([^;]+)/i.exec(connectionString)?.[1]?.trim();
}

export function accountNameFromServiceUri(serviceUri: string): string | undefined {
  const url = new URL(serviceUri);
  // Emulators put the account in the path (http://127.0.0.1:10000/devstoreaccount1); Azure in the host.
  const pathAccount = url.pathname.split('/').find((segment) => segment !== '');
  if (isLoopbackHostname(url.hostname)) return pathAccount;
  return url.hostname.split('.')[0];
}

function imagesConnection(env: Env): BlobConnection {
  const connectionString = nonEmpty(env, 'IMAGES_STORAGE');
  if (connectionString !== undefined) {
    const accountName = accountNameFromConnectionString(connectionString);
    if (accountName === undefined) {
      throw new SettingError(
        'IMAGES_STORAGE',
        'a storage connection string with AccountName',
        redactConnectionString(connectionString),
      );
    }
    // DESIGN.md: keys are for emulators only; in Azure the account has shared-key access disabled and the
    // app uses the identity-based IMAGES_STORAGE__* settings. A key for a real account is refused at start-up.
    const nonLocal = nonLocalConnectionString(connectionString);
    if (nonLocal !== undefined) {
      throw new SettingError(
        'IMAGES_STORAGE',
        `UseDevelopmentStorage=true or a connection string to loopback endpoints only (${LOOPBACK_HOSTS}: ` +
          'keys are for emulators; Azure uses IMAGES_STORAGE__blobServiceUri and an identity)',
        new ReceivedDescription(nonLocal),
      );
    }
    return { kind: 'connectionString', connectionString, accountName };
  }
  if (nonEmpty(env, 'IMAGES_STORAGE__blobServiceUri') === undefined) {
    throw new SettingError(
      'IMAGES_STORAGE__blobServiceUri',
      'a blob service URI (or IMAGES_STORAGE as a connection string for emulators)',
      undefined,
    );
  }
  const serviceUri = httpUrl(env, 'IMAGES_STORAGE__blobServiceUri');
  const accountName = accountNameFromServiceUri(serviceUri);
  if (accountName === undefined) {
    throw new SettingError('IMAGES_STORAGE__blobServiceUri', 'a URI naming the storage account', serviceUri);
  }
  return { kind: 'identity', serviceUri, accountName, credential: identityCredential(env, 'IMAGES_STORAGE') };
}

function cosmosAuth(env: Env, endpoint: string): CosmosAuth {
  const key = nonEmpty(env, 'COSMOS__key');
  if (key === undefined) return { kind: 'identity', credential: identityCredential(env, 'COSMOS') };
  // Keys exist only for emulators; in Azure the account has local auth disabled. Refusing a key for any
  // other host also keeps a real account's key from being configured (and sent) by mistake.
  if (!isLoopbackUrl(endpoint)) {
    throw new SettingError(
      'COSMOS__key',
      `no key unless COSMOS__accountEndpoint is loopback (${LOOPBACK_HOSTS}: keys are for emulators; ` +
        'Azure uses COSMOS__credential and an identity)',
      new ReceivedDescription(`a key (not shown) with COSMOS__accountEndpoint ${JSON.stringify(endpoint)}`),
    );
  }
  return { kind: 'key', key };
}

function cosmosSettings(env: Env): Settings['cosmos'] {
  const endpoint = httpUrl(env, 'COSMOS__accountEndpoint');
  return {
    endpoint,
    auth: cosmosAuth(env, endpoint),
    database: nonEmpty(env, 'COSMOS_DATABASE') ?? 'MediaCorp',
    container: nonEmpty(env, 'COSMOS_CONTAINER') ?? 'Images',
  };
}

/** Reads and validates every setting the app uses; throws a SettingError naming the first bad one. */
export function loadSettings(env: Env = process.env): Settings {
  const images = imagesConnection(env);
  const sizes = parseSizes('IMAGE_SIZES', env.IMAGE_SIZES);
  return {
    images,
    unprocessedContainer: containerName(env, 'UNPROCESSED_CONTAINER', 'images-unprocessed'),
    processedContainer: containerName(env, 'PROCESSED_CONTAINER', 'images-processed'),
    cosmos: cosmosSettings(env),
    sizes,
    retiredSizes: parseRetiredSizes('RETIRED_SIZES', env.RETIRED_SIZES, sizes),
    redriveDelaysSeconds: delayList(env, 'REDRIVE_DELAYS_SECONDS', DEFAULT_REDRIVE_DELAYS_SECONDS),
    maxSourceBytes: positiveIntegerSetting(env, 'MAX_SOURCE_BYTES', DEFAULT_MAX_SOURCE_BYTES),
    maxSourcePixels: positiveIntegerSetting(env, 'MAX_SOURCE_PIXELS', DEFAULT_MAX_SOURCE_PIXELS),
    // A connection string is only accepted for loopback emulators (imagesConnection refuses anything else).
    site: loadSiteSettings(env, images.kind === 'connectionString'),
  };
}

let cached: Settings | undefined;

/** The process-wide settings, read once on first use (start-up fails with the setting's name). */
export function getSettings(): Settings {
  cached ??= loadSettings(process.env);
  return cached;
}
