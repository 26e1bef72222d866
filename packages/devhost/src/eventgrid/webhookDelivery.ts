import { randomUUID } from 'node:crypto';

export interface DeliveryOutcome {
  ok: boolean;
  /** HTTP status, or a network error message. */
  outcome: string;
}

/** Event Grid counts only these as delivered. */
const SUCCESS = new Set([200, 201, 202, 203, 204]);

/** Event Grid's retry schedule (10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h) scaled down 100x for local use. */
export const LOCAL_RETRY_DELAYS_MS = [100, 300, 600, 3_000, 6_000, 18_000, 36_000];

/** Event Grid gives an endpoint 30 s to answer. */
const RESPONSE_TIMEOUT_MS = 30_000;

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(RESPONSE_TIMEOUT_MS),
  });
}

/** The SubscriptionValidation handshake Event Grid performs when a webhook subscription is created. */
export async function validateSubscription(webhookUrl: string): Promise<DeliveryOutcome> {
  const validationCode = randomUUID();
  const event = {
    id: randomUUID(),
    topic: '/subscriptions/00000000-0000-0000-0000-000000000000',
    subject: '',
    data: { validationCode, validationUrl: '' },
    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    eventTime: new Date().toISOString(),
    metadataVersion: '1',
    dataVersion: '1',
  };
  try {
    const response = await post(webhookUrl, [event], { 'aeg-event-type': 'SubscriptionValidation' });
    if (response.status !== 200) return { ok: false, outcome: `HTTP ${response.status}` };
    const answer = (await response.json()) as { validationResponse?: unknown };
    return answer.validationResponse === validationCode
      ? { ok: true, outcome: 'HTTP 200' }
      : { ok: false, outcome: 'wrong validationResponse' };
  } catch (error) {
    return { ok: false, outcome: (error as Error).message };
  }
}

/** One delivery attempt of one event, as an array of one (Event Grid's default batching). */
export async function deliverEvent(
  webhookUrl: string,
  event: unknown,
  attempt: number,
): Promise<DeliveryOutcome> {
  try {
    const response = await post(webhookUrl, [event], {
      'aeg-event-type': 'Notification',
      'aeg-subscription-name': 'LOCAL-DEVHOST',
      'aeg-delivery-count': String(attempt - 1),
      'aeg-data-version': '',
      'aeg-metadata-version': '1',
    });
    await response.arrayBuffer();
    return { ok: SUCCESS.has(response.status), outcome: `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, outcome: (error as Error).message };
  }
}
