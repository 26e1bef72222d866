import type { HttpExchangeResponse } from '../contracts';

export function jsonReply(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): HttpExchangeResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

/** Every error the host itself produces: JSON with one readable message. */
export function errorReply(status: number, message: string): HttpExchangeResponse {
  return jsonReply(status, { error: message });
}
