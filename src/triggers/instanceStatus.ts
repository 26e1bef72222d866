import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { OrchestrationRuntimeStatus } from 'durable-functions';

/**
 * durable-functions 3.5 `getStatus` answers an unknown instance id (HTTP 404 from the extension) by throwing a
 * plain Error with this message; every other failure (500, network) rejects differently and must propagate.
 */
const NOT_FOUND_MESSAGE_PREFIX =
  'DurableClient error: Durable Functions extension replied with HTTP 404 response.';

export function isInstanceNotFound(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith(NOT_FOUND_MESSAGE_PREFIX);
}

export type StatusReader = Pick<DurableClient, 'getStatus'>;

/** The instance's status, or undefined when the task hub has never heard of it. Other failures throw. */
export async function findInstanceStatus(
  client: StatusReader,
  instanceId: string,
  options: { showInput?: boolean } = {},
): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(instanceId, { showInput: options.showInput ?? false });
  } catch (error) {
    if (isInstanceNotFound(error)) return undefined;
    throw error;
  }
}

/** Ended without a result worth keeping: a redelivered event may start the same instance id again. */
export const RESTARTABLE_STATUSES: ReadonlySet<string> = new Set([
  OrchestrationRuntimeStatus.Failed,
  OrchestrationRuntimeStatus.Terminated,
]);

export interface InstanceQuery {
  /** Only instances whose id starts with this (the Durable HTTP API's `instanceIdPrefix`). */
  instanceIdPrefix: string;
  runtimeStatus?: readonly OrchestrationRuntimeStatus[];
  showInput?: boolean;
}

/**
 * Every instance whose id starts with `instanceIdPrefix`, following `x-ms-continuation-token` page by page.
 * durable-functions 3.5's `getStatusBy` has no id prefix (it filters by status and time only, so every active
 * instance of the task hub would come back), so this calls the extension's documented query endpoint
 * (`GET /runtime/webhooks/durabletask/instances?instanceIdPrefix=…`) at the client's own management URL, with
 * its system key. Throws on any answer other than 200.
 * Source: https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-http-api#get-all-instances-status
 */
export async function listInstancesByPrefix(
  client: Pick<DurableClient, 'createHttpManagementPayload'>,
  query: InstanceQuery,
  fetcher: typeof fetch = fetch,
): Promise<DurableOrchestrationStatus[]> {
  const url = new URL(client.createHttpManagementPayload('').statusQueryGetUri);
  url.searchParams.set('instanceIdPrefix', query.instanceIdPrefix);
  if (query.runtimeStatus && query.runtimeStatus.length > 0) {
    url.searchParams.set('runtimeStatus', query.runtimeStatus.join(','));
  }
  url.searchParams.set('showInput', String(query.showInput ?? false));
  return queryInstances<DurableOrchestrationStatus>(url, fetcher);
}

/**
 * Every instance a Durable HTTP API query URL (`…/instances?…`) matches: the API answers one page at a time
 * (the local host and Azure Storage at most 1,000, or `top`) with `x-ms-continuation-token` until the last
 * page, which this follows. Throws on any answer other than 200.
 */
export async function queryInstances<T>(url: URL | string, fetcher: typeof fetch = fetch): Promise<T[]> {
  const instances: T[] = [];
  let continuation: string | undefined;
  do {
    const response = await fetcher(url, {
      headers: continuation === undefined ? {} : { 'x-ms-continuation-token': continuation },
    });
    if (response.status !== 200) {
      const path = new URL(url).pathname;
      throw new Error(`The instance query ${path} answered ${response.status}: ${await response.text()}`);
    }
    instances.push(...((await response.json()) as T[]));
    continuation = response.headers.get('x-ms-continuation-token') || undefined;
  } while (continuation !== undefined);
  return instances;
}
