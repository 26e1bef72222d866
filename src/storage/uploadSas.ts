import {
  BlobSASPermissions,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
  type BlobServiceClient,
  type UserDelegationKey,
} from '@azure/storage-blob';
import { storageCallSignal } from './callTimeout';

/**
 * What an upload SAS grants: exactly one blob, create only: Put Blob of a NEW blob (of any blob type), Snapshot
 * Blob and a copy onto it; not Put Block or Put Block List. docs/design.md "Uploads" says what the pipeline does
 * about the rest.
 */
export const UPLOAD_SAS_PERMISSIONS = 'c';
/** Upload SAS lifetime: ten minutes to start the PUT (Azure checks the SAS when the request arrives). */
export const UPLOAD_SAS_LIFETIME_MS = 10 * 60 * 1000;
/** A user-delegation key is requested for an hour and reused while it outlives a new SAS by a minute. */
const DELEGATION_KEY_LIFETIME_MS = 60 * 60 * 1000;
const DELEGATION_KEY_MARGIN_MS = UPLOAD_SAS_LIFETIME_MS + 60 * 1000;
/** The key's start is backdated for clock skew between us and the storage service. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface UploadSas {
  /** The blob's URL with the SAS query. */
  url: string;
  expiresOn: Date;
}

/** Signs create-only SAS URLs for single blobs. */
export interface UploadSasSigner {
  /** `delegation` in Azure (Entra identity), `sharedKey` only for the loopback emulator. */
  readonly kind: 'delegation' | 'sharedKey';
  sign(container: string, blobName: string): Promise<UploadSas>;
}

/**
 * A signer for the images account's client. A client built from a connection string (the emulator: settings
 * refuse keys anywhere else) signs with its shared key; a client with an Entra credential signs with a
 * user-delegation key (`getUserDelegationKey`, needing `generateUserDelegationKey` on the account, e.g.
 * Storage Blob Delegator), and that SAS can never grant more than the identity's own roles on the container.
 */
export function createUploadSasSigner(
  blobService: BlobServiceClient,
  now: () => Date = () => new Date(),
): UploadSasSigner {
  const https = blobService.url.startsWith('https:');
  const protocol = https ? SASProtocol.Https : SASProtocol.HttpsAndHttp;
  const sasFor = (container: string, blobName: string, expiresOn: Date) => ({
    containerName: container,
    blobName,
    permissions: BlobSASPermissions.parse(UPLOAD_SAS_PERMISSIONS),
    expiresOn,
    protocol,
  });
  const urlFor = (container: string, blobName: string, query: string): string =>
    `${blobService.getContainerClient(container).getBlobClient(blobName).url}?${query}`;

  const credential = blobService.credential;
  if (credential instanceof StorageSharedKeyCredential) {
    return {
      kind: 'sharedKey',
      sign(container, blobName) {
        const expiresOn = new Date(now().getTime() + UPLOAD_SAS_LIFETIME_MS);
        const query = generateBlobSASQueryParameters(sasFor(container, blobName, expiresOn), credential);
        return Promise.resolve({ url: urlFor(container, blobName, query.toString()), expiresOn });
      },
    };
  }

  let cached: Promise<UserDelegationKey> | undefined;
  const delegationKey = async (): Promise<UserDelegationKey> => {
    if (cached) {
      const key = await cached.catch(() => undefined);
      if (key && key.signedExpiresOn.getTime() - now().getTime() > DELEGATION_KEY_MARGIN_MS) return key;
    }
    const start = now().getTime();
    cached = blobService.getUserDelegationKey(
      new Date(start - CLOCK_SKEW_MS),
      new Date(start + DELEGATION_KEY_LIFETIME_MS),
      { abortSignal: storageCallSignal() },
    );
    return cached;
  };
  return {
    kind: 'delegation',
    async sign(container, blobName) {
      const key = await delegationKey();
      const expiresOn = new Date(now().getTime() + UPLOAD_SAS_LIFETIME_MS);
      const query = generateBlobSASQueryParameters(
        sasFor(container, blobName, expiresOn),
        key,
        blobService.accountName,
      );
      return { url: urlFor(container, blobName, query.toString()), expiresOn };
    },
  };
}
