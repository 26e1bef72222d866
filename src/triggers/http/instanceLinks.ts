import type { HttpRequest } from '@azure/functions';

/** The app's own route for one Durable instance's status (operators only): `httpConsoleInstance.ts`. */
export const INSTANCE_ROUTE = 'console/instances';

/**
 * Where a browser reads an instance's status and history: the app's operator-checked endpoint, never the
 * Durable extension's management URLs, which in Azure carry `code=` the durabletask_extension system key
 * (terminate, purge, raise events on ANY instance of the task hub). Absolute, from the request's own URL.
 */
export function instanceLinks(
  request: Pick<HttpRequest, 'url'>,
  instanceId: string,
): { statusUrl: string; historyUrl: string } {
  const statusUrl = new URL(`/api/${INSTANCE_ROUTE}/${encodeURIComponent(instanceId)}`, request.url).href;
  return { statusUrl, historyUrl: `${statusUrl}?history=true` };
}
