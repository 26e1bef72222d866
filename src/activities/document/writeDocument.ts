import { ConcurrentWriteError } from '../../domain/errors';
import { documentIdFor } from '../../domain/ids';
import { WRITE_ATTEMPTS } from '../../domain/sourceVersion';
import type { WriteDocumentInput, WriteDocumentResult } from '../../domain/types';
import { buildImageDocument } from './buildImageDocument';
import type { DocumentStore } from '../../storage/documentStore';
import { decideWrite } from './staleWriteGuard';

export interface WriteDocumentDeps {
  store: DocumentStore;
  /** The source blob's current eTag, undefined when it no longer exists (a HEAD on the images account). */
  currentSourceETag: (input: WriteDocumentInput) => Promise<string | undefined>;
  now: () => Date;
  /** How many read-decide-write rounds to try before giving up (then the activity throws and Durable retries). */
  maxAttempts?: number;
}

/**
 * Read, decide, write with the document's ETag; on a concurrent change (412 on replace, 409 on create) the
 * whole round runs again against what is now stored, so the guard always judges the latest document (or
 * tombstone); losing every round throws `ConcurrentWriteError` (Durable retries the activity).
 * The replaced version's derivatives are not touched here: the orchestration deletes them after a grace
 * period (`replacedVersion` tells it there are some).
 */
export async function writeImageDocumentWithGuard(
  input: WriteDocumentInput,
  deps: WriteDocumentDeps,
): Promise<WriteDocumentResult> {
  const documentId = documentIdFor(input.source.container, input.source.blobName);
  const attempts = deps.maxAttempts ?? WRITE_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const stored = await deps.store.read(documentId);
    const storedDocument = stored?.kind === 'document' ? stored.document : undefined;
    const decision = await decideWrite({
      input,
      existing: stored?.kind === 'tombstone' ? stored.tombstone : storedDocument,
      currentSourceETag: () => deps.currentSourceETag(input),
    });
    if (decision.action === 'skip') return { ok: false, documentId, reason: decision.reason };
    const document = buildImageDocument({
      input,
      sameVersion: decision.action === 'merge' ? storedDocument : undefined,
      createdAt: storedDocument?.createdAt,
      now: deps.now(),
    });
    const result =
      stored === undefined
        ? await deps.store.create(document)
        : await deps.store.replace(document, stored.eTag);
    if (result !== 'written') continue;
    const replacedVersion = decision.action === 'write' && storedDocument !== undefined;
    return { ok: true, documentId, status: document.status, replacedVersion };
  }
  throw new ConcurrentWriteError(`Document ${documentId}`, attempts);
}
