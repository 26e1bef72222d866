import * as df from 'durable-functions';
import type { ActivityHandler } from 'durable-functions';
import { ArgumentError } from '../domain/errors';
import { LIST_SOURCE_PAGE_FUNCTION } from '../domain/functionNames';
import { getImagesBlobService } from '../storage/blobServiceClient';
import { listSourcePage, type ListingPage } from '../storage/sourceListing';

export interface ListSourcePageInput {
  container: string;
  prefix: string;
  /** 1-5000 (the List Blobs `maxresults` limit). */
  pageSize: number;
  continuationToken?: string;
}

function assertInput(value: unknown): ListSourcePageInput {
  const input = (typeof value === 'object' && value !== null ? value : {}) as Partial<ListSourcePageInput>;
  if (
    typeof input.container !== 'string' ||
    typeof input.prefix !== 'string' ||
    typeof input.pageSize !== 'number' ||
    !(input.continuationToken === undefined || typeof input.continuationToken === 'string')
  ) {
    throw new ArgumentError(
      'the listSourcePage input',
      '{container, prefix, pageSize, continuationToken?}',
      value,
    );
  }
  return input as ListSourcePageInput;
}

/** One page of the source listing; transient storage errors throw and the orchestration retries. */
export const listSourcePageHandler: ActivityHandler = async (raw: unknown): Promise<ListingPage> => {
  const input = assertInput(raw);
  return listSourcePage(
    getImagesBlobService(),
    input.container,
    input.prefix,
    input.pageSize,
    input.continuationToken,
  );
};

df.app.activity(LIST_SOURCE_PAGE_FUNCTION, { handler: listSourcePageHandler });
