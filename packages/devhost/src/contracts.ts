/**
 * The seam between the local Functions host (devhost/functions: loads the app through `@azure/functions-core`,
 * serves HTTP) and the local Durable engine (devhost/durable: orchestration replay, activities, Durable HTTP API).
 * Neither side imports the other's internals; `devhost/start.ts` wires them together.
 */

/** The worker's typed data (`RpcTypedData`), the subset this host uses. */
export interface TypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  int?: number;
  double?: number;
  http?: unknown;
}

/** One binding as captured from `registerFunction` metadata (`{...binding, name, direction}`). */
export interface BindingInfo {
  name: string;
  type: string;
  direction: 'in' | 'out' | 'inout';
  [property: string]: unknown;
}

export interface RegisteredFunctionInfo {
  name: string;
  /** The binding whose type ends in `Trigger`. */
  trigger: BindingInfo;
  bindings: BindingInfo[];
}

export type InvocationResult =
  | {
      ok: true;
      returnValue: TypedData | undefined;
      outputData: Array<{ name: string; data: TypedData | undefined }>;
    }
  | { ok: false; error: Error };

/** What the Functions host offers the Durable engine and the HTTP server. */
export interface FunctionInvoker {
  /** Every registered function with its binding metadata. */
  functions(): RegisteredFunctionInfo[];
  /**
   * Invokes a function through the app's registered programming model, as the worker does:
   * `getInvocationModel` -> `getArguments` -> pre hooks -> invoke -> post hooks -> `getResponse`.
   * `triggerData` goes to the trigger binding; `extraInputs` by binding type (e.g. `durableClient`) are
   * filled by the host itself.
   */
  invoke(
    functionName: string,
    request: { triggerData: TypedData; triggerMetadata?: Record<string, TypedData>; invocationId?: string },
  ): Promise<InvocationResult>;
}

/** A plain HTTP exchange, so the Durable API can be served by any server and tested without one. */
export interface HttpExchangeRequest {
  method: string;
  /** Absolute URL of the request (origin included: status URLs are built from it). */
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface HttpExchangeResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** What the Durable engine offers the Functions host. */
export interface DurableHost {
  /** The `durableClient` binding's input (JSON text), pointing at this host's Durable HTTP API. */
  clientBindingData(): string;
  /** Serves `/runtime/webhooks/durabletask/...`; the caller strips nothing (full URL given). */
  handleHttp(request: HttpExchangeRequest): Promise<HttpExchangeResponse>;
}
