import type { SizeSpec } from '../domain/types';
import { isLoopbackHostname, isLoopbackUrl, LOOPBACK_HOSTS } from './loopback';
import { SettingError } from '../domain/errors';
import {
  DEFAULT_DECODE_MEMORY_BUDGET_MB,
  HEIC_DECODE_BYTES_PER_PIXEL,
  minDecodeMemoryBudgetMb,
} from '../imaging/decodeAdmission';
import { fromDecimalText, integerInRange, positiveInteger, ReceivedDescription } from '../domain/validation';
import { nonEmpty, type Env } from './env';
import { refuseNearMissKeys } from './settingKeys';
import { loadSiteSettings, type SiteSettings } from './site';
import { parseRetiredSizes, parseSizes } from './sizes';
import { nonLocalConnectionString, redactConnectionString } from './storageConnectionString';

export type { Env } from './env';

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
  /** `IMAGES_STORAGE`: the account of the sources (`unprocessedContainer`) and the scratch container. */
  images: BlobConnection;
  /**
   * `DERIVATIVES_STORAGE`: the account of the derivatives (`processedContainer`), the only one with anonymous
   * blob reads. Unset (emulators), the images account.
   */
  derivatives: BlobConnection;
  unprocessedContainer: string;
  processedContainer: string;
  /** `SCRATCH_CONTAINER` on the images account (default `images-scratch`): private, short-lived decode-once pixels. */
  scratchContainer: string;
  cosmos: { endpoint: string; auth: CosmosAuth; database: string; container: string };
  sizes: SizeSpec[];
  /** `RETIRED_SIZES`: labels whose activities stay registered for instances that planned them; never planned. */
  retiredSizes: string[];
  /** `REDRIVE_DELAYS_SECONDS`: waits before each re-drive of sizes that ended `internal`; see RetryPlan. */
  redriveDelaysSeconds: number[];
  maxSourceBytes: number;
  maxSourcePixels: number;
  /**
   * `DECODE_MEMORY_BUDGET_MB`: memory the expensive (HEIC) decodes of one worker may hold together; more wait
   * (src/imaging/decodeAdmission.ts). At least one decode of `MAX_SOURCE_PIXELS` (11 bytes per pixel).
   */
  decodeMemoryBudgetMb: number;
  /** Seconds a replaced version's derivatives stay after the document moved on (pages already rendered). */
  replacedDerivativesGraceSeconds: number;
  backfill: BackfillSettings;
  /** Uploads, the site and the console (`DEV_USER_ID`, `OPERATOR_ROLE`, `DERIVATIVE_BASE_URL`). */
  site: SiteSettings;
}

/** Backfill tuning (see docs/scale.md for how to size them). */
export interface BackfillSettings {
  /**
   * `BACKFILL_MAX_IN_FLIGHT`: runs one backfill keeps working at once; undefined = the default derived from
   * host.json (see `defaultBackfillMaxInFlight`).
   */
  maxInFlight: number | undefined;
  /** `BACKFILL_PAGE_SIZE`: blobs per List Blobs call, 1-5000 (the service's `maxresults` cap); default 500. */
  pageSize: number;
  /** `BACKFILL_POLL_SECONDS`: seconds between two checks of the runs in flight; default 5. */
  pollSeconds: number;
}

const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const DEFAULT_MAX_SOURCE_BYTES = 50 * 1024 * 1024;
/**
 * The largest single Put Blob (service version 2019-12-12 and later: 5000 MiB). Browsers upload in ONE Put Blob
 * because a create-only (`c`) SAS does not authorise Put Block or Put Block List, so no source can be larger.
 */
export const MAX_PUT_BLOB_BYTES = 5000 * 1024 * 1024;
const DEFAULT_MAX_SOURCE_PIXELS = 50_000_000;
/** 15 minutes: long enough for a page rendered just before a re-upload to load its images. */
const DEFAULT_REPLACED_DERIVATIVES_GRACE_SECONDS = 900;
/** A week: a durable timer is cheap, but a longer wait only keeps unused derivatives around. */
const MAX_REPLACED_DERIVATIVES_GRACE_SECONDS = 7 * 24 * 3600;

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
 * The largest `DECODE_MEMORY_BUDGET_MB`: 256 GiB, the memory of the largest App Service plan instance a
 * Functions app can run on (Premium v3 P5mv3, 256 GB). Anything above cannot describe a real worker (and
 * beyond 2^53 bytes it is no longer an exact number of bytes).
 */
export const MAX_DECODE_MEMORY_BUDGET_MB = 256 * 1024;

/** `DECODE_MEMORY_BUDGET_MB`, at least what one decode of `MAX_SOURCE_PIXELS` holds (else it could never run). */
function decodeMemoryBudget(env: Env, maxSourcePixels: number): number {
  const least = minDecodeMemoryBudgetMb(maxSourcePixels);
  const raw = nonEmpty(env, 'DECODE_MEMORY_BUDGET_MB');
  if (raw === undefined) return Math.max(DEFAULT_DECODE_MEMORY_BUDGET_MB, least);
  const expected = `a whole number of MiB from ${least} (one HEIC decode of MAX_SOURCE_PIXELS = ${maxSourcePixels} at ${HEIC_DECODE_BYTES_PER_PIXEL} bytes per pixel) to ${MAX_DECODE_MEMORY_BUDGET_MB} (the memory of the largest Functions instance)`;
  const value = integerInRange(fromDecimalText(raw), least, MAX_DECODE_MEMORY_BUDGET_MB);
  if (value === undefined) throw new SettingError('DECODE_MEMORY_BUDGET_MB', expected, raw);
  return value;
}

function secondsSetting(env: Env, name: string, fallback: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const value = integerInRange(fromDecimalText(raw), 0, max);
  if (value === undefined) throw new SettingError(name, `a whole number of seconds from 0 to ${max}`, raw);
  return value;
}

function optionalPositiveInteger(env: Env, name: string, max?: number): number | undefined {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return undefined;
  const value = positiveInteger(fromDecimalText(raw), max);
  if (value === undefined) {
    throw new SettingError(
      name,
      max === undefined ? 'a positive integer' : `an integer between 1 and ${max}`,
      raw,
    );
  }
  return value;
}

/** List Blobs returns at most 5,000 items per call (the `maxresults` parameter of the REST API). */
export const LIST_BLOBS_MAX_RESULTS = 5000;

function backfillSettings(env: Env): BackfillSettings {
  return {
    maxInFlight: optionalPositiveInteger(env, 'BACKFILL_MAX_IN_FLIGHT', 10_000),
    pageSize: optionalPositiveInteger(env, 'BACKFILL_PAGE_SIZE', LIST_BLOBS_MAX_RESULTS) ?? 500,
    pollSeconds: optionalPositiveInteger(env, 'BACKFILL_POLL_SECONDS', 3600) ?? 5,
  };
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

/** A blob account from `{prefix}` (an emulator connection string) or `{prefix}__blobServiceUri` + identity. */
function blobConnection(env: Env, prefix: string): BlobConnection {
  const connectionString = nonEmpty(env, prefix);
  if (connectionString !== undefined) {
    const accountName = accountNameFromConnectionString(connectionString);
    if (accountName === undefined) {
      throw new SettingError(
        prefix,
        'a storage connection string with AccountName',
        redactConnectionString(connectionString),
      );
    }
    // docs/design.md: keys are for emulators only; in Azure the accounts have shared-key access disabled and the
    // app uses the identity-based `${prefix}__*` settings. A key for a real account is refused at start-up.
    const nonLocal = nonLocalConnectionString(connectionString);
    if (nonLocal !== undefined) {
      throw new SettingError(
        prefix,
        `UseDevelopmentStorage=true or a connection string to loopback endpoints only (${LOOPBACK_HOSTS}: ` +
          `keys are for emulators; Azure uses ${prefix}__blobServiceUri and an identity)`,
        new ReceivedDescription(nonLocal),
      );
    }
    return { kind: 'connectionString', connectionString, accountName };
  }
  if (nonEmpty(env, `${prefix}__blobServiceUri`) === undefined) {
    throw new SettingError(
      `${prefix}__blobServiceUri`,
      `a blob service URI (or ${prefix} as a connection string for emulators)`,
      undefined,
    );
  }
  const serviceUri = httpUrl(env, `${prefix}__blobServiceUri`);
  const accountName = accountNameFromServiceUri(serviceUri);
  if (accountName === undefined) {
    throw new SettingError(`${prefix}__blobServiceUri`, 'a URI naming the storage account', serviceUri);
  }
  return { kind: 'identity', serviceUri, accountName, credential: identityCredential(env, prefix) };
}

/** The derivatives account; with neither of its settings (local emulators), the images account. */
function derivativesConnection(env: Env, images: BlobConnection): BlobConnection {
  const configured = ['', '__blobServiceUri', '__credential', '__clientId'].some(
    (suffix) => nonEmpty(env, `DERIVATIVES_STORAGE${suffix}`) !== undefined,
  );
  return configured ? blobConnection(env, 'DERIVATIVES_STORAGE') : images;
}

/** A container that no other role uses: scratch blobs among the sources would raise BlobCreated events. */
function distinctContainer(name: string, value: string, others: Record<string, string>): string {
  const clash = Object.entries(others).find(([, other]) => other === value);
  if (clash !== undefined) {
    throw new SettingError(name, `a container other than ${clash[0]}'s`, value);
  }
  return value;
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
  refuseNearMissKeys(env);
  const sizes = parseSizes('IMAGE_SIZES', env.IMAGE_SIZES);
  const images = blobConnection(env, 'IMAGES_STORAGE');
  const unprocessedContainer = containerName(env, 'UNPROCESSED_CONTAINER', 'images-unprocessed');
  const processedContainer = containerName(env, 'PROCESSED_CONTAINER', 'images-processed');
  const maxSourcePixels = positiveIntegerSetting(env, 'MAX_SOURCE_PIXELS', DEFAULT_MAX_SOURCE_PIXELS);
  return {
    images,
    derivatives: derivativesConnection(env, images),
    unprocessedContainer,
    processedContainer,
    scratchContainer: distinctContainer(
      'SCRATCH_CONTAINER',
      containerName(env, 'SCRATCH_CONTAINER', 'images-scratch'),
      { UNPROCESSED_CONTAINER: unprocessedContainer, PROCESSED_CONTAINER: processedContainer },
    ),
    cosmos: cosmosSettings(env),
    sizes,
    retiredSizes: parseRetiredSizes('RETIRED_SIZES', env.RETIRED_SIZES, sizes),
    redriveDelaysSeconds: delayList(env, 'REDRIVE_DELAYS_SECONDS', DEFAULT_REDRIVE_DELAYS_SECONDS),
    maxSourceBytes:
      optionalPositiveInteger(env, 'MAX_SOURCE_BYTES', MAX_PUT_BLOB_BYTES) ?? DEFAULT_MAX_SOURCE_BYTES,
    maxSourcePixels,
    decodeMemoryBudgetMb: decodeMemoryBudget(env, maxSourcePixels),
    replacedDerivativesGraceSeconds: secondsSetting(
      env,
      'REPLACED_DERIVATIVES_GRACE_SECONDS',
      DEFAULT_REPLACED_DERIVATIVES_GRACE_SECONDS,
      MAX_REPLACED_DERIVATIVES_GRACE_SECONDS,
    ),
    backfill: backfillSettings(env),
    // A connection string is only accepted for loopback emulators (blobConnection refuses anything else).
    site: loadSiteSettings(env, images.kind === 'connectionString'),
  };
}

let cached: Settings | undefined;

/** The process-wide settings, read once on first use (start-up fails with the setting's name). */
export function getSettings(): Settings {
  cached ??= loadSettings(process.env);
  return cached;
}
