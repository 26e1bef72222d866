/** Path of the Durable HTTP API on the Functions host (same origin as `/api`, as `createCheckStatusResponse` needs). */
export const WEBHOOK_PATH = '/runtime/webhooks/durabletask';

/** The default storage connection name the extension reports in management URLs. */
const CONNECTION_NAME = 'Storage';

function managementQuery(taskHub: string): string {
  return `taskHub=${encodeURIComponent(taskHub)}&connection=${CONNECTION_NAME}`;
}

/**
 * Management URLs with the literal `INSTANCEID` placeholder (`HttpApiHandler.GetClientResponseLinks`).
 * `createCheckStatusResponse` and `createHttpManagementPayload` send every key of this object, so the key order
 * follows the extension; `rewindPostUri` is left out because this engine does not rewind (the route answers
 * 501), and an app's status answer should advertise only what the host serves.
 */
export function managementUrls(
  baseUrl: string,
  taskHub: string,
  instanceId = 'INSTANCEID',
): Record<string, string> {
  const instance = `${baseUrl}${WEBHOOK_PATH}/instances/${instanceId}`;
  const query = managementQuery(taskHub);
  return {
    id: instanceId,
    statusQueryGetUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    restartPostUri: `${instance}/restart?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}

/**
 * The `durableClient` binding data (`BindingHelper.DurableOrchestrationClientToString` in the Durable extension).
 * No `rpcBaseUrl`: the v3 client then uses these webhook URLs, served by this host on the public origin.
 * No function key locally, so `requiredQueryStringParameters` is empty.
 */
export function clientBindingData(publicBaseUrl: string, taskHub: string): Record<string, unknown> {
  const baseUrl = publicBaseUrl.replace(/\/+$/, '');
  const orchestrators = `${baseUrl}${WEBHOOK_PATH}/orchestrators/{functionName}[/{instanceId}]`;
  return {
    taskHubName: taskHub,
    creationUrls: {
      createNewInstancePostUri: orchestrators,
      createAndWaitOnNewInstancePostUri: `${orchestrators}?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}`,
    },
    managementUrls: managementUrls(baseUrl, taskHub),
    baseUrl: `${baseUrl}${WEBHOOK_PATH}`,
    requiredQueryStringParameters: '',
  };
}

/** The 202 check-status body for one instance, with URLs on `origin` (the extension builds them from the request). */
export function checkStatusPayload(
  origin: string,
  taskHub: string,
  instanceId: string,
): Record<string, string> {
  // The extension's HTTP start response omits rewind, as managementUrls does.
  return { ...managementUrls(origin, taskHub, encodeURIComponent(instanceId)), id: instanceId };
}
