import { ConcurrentWriteError } from '../../domain/errors';
import { documentIdFor } from '../../domain/ids';
import { WRITE_ATTEMPTS } from '../../domain/sourceVersion';
import type { WriteDocumentInput, WriteDocumentResult } from '../../domain/types';
import type { InvocationLogger } from '../../logging';
import { buildImageDocument } from './buildImageDocument';
import type { DocumentStore } from '../../storage/documentStore';
import { deleteDerivativesLeftBehind, type DeleteDerivative } from './leftoverDerivatives';
import { decideWrite } from './staleWriteGuard';

export interface WriteDocumentDeps {
  store: DocumentStore;
  /** The source blob's current eTag, undefined when it no longer exists (a HEAD on the images account). */
  currentSourceETag: (input: WriteDocumentInput) => Promise<string | undefined>;
  /** Deletes a previous version's derivative blob if it still is the recorded one (processed container). */
  deleteDerivative: DeleteDerivative;
  now: () => Date;
  /** How many read-decide-write rounds to try before giving up (then the activity throws and Durable retries). */
  maxAttempts?: number;
}

const silent: InvocationLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  with: () => silent,
};

/**
 * Read, decide, write with the document's ETag; on a concurrent change (412 on replace, 409 on create) the
 * whole round runs again against what is now stored, so the guard always judges the latest document;
 * losing every round throws `ConcurrentWriteError` (Durable retries the activity).
 * When the write replaced another source version's document, that version's derivatives the new document
 * does not point at are deleted (see leftoverDerivatives.ts).
 */
export async function writeImageDocumentWithGuard(
  input: WriteDocumentInput,
  deps: WriteDocumentDeps,
  log: InvocationLogger = silent,
): Promise<WriteDocumentResult> {
  const documentId = documentIdFor(input.source.container, input.source.blobName);
  const attempts = deps.maxAttempts ?? WRITE_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const stored = await deps.store.read(documentId);
    const decision = await decideWrite({
      input,
      existing: stored?.document,
      currentSourceETag: () => deps.currentSourceETag(input),
    });
    if (decision.action === 'skip') return { ok: false, documentId, reason: decision.reason };
    const document = buildImageDocument({
      input,
      sameVersion: decision.action === 'merge' ? stored?.document : undefined,
      createdAt: stored?.document.createdAt,
      now: deps.now(),
    });
    const result =
      stored === undefined
        ? await deps.store.create(document)
        : await deps.store.replace(document, stored.eTag);
    if (result !== 'written') continue;
    if (decision.action === 'write' && stored !== undefined) {
      await deleteDerivativesLeftBehind(stored.document, document, deps.deleteDerivative, log);
    }
    return { ok: true, documentId, status: document.status };
  }
  throw new ConcurrentWriteError(`Document ${documentId}`, attempts);
}
