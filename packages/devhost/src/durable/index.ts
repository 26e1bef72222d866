import type { DurableHost, FunctionInvoker, HttpExchangeRequest, HttpExchangeResponse } from '../contracts';
import { clientBindingData } from './clientBinding';
import { DurableTaskEngine, type ControlResult, type DurableLogger } from './engine';
import { DurableHttpApi } from './httpApi';
import type { RuntimeStatus } from './status';
import { DurableStore, type InstanceRecord } from './store';

export interface DurableEngineOptions {
  invoker: FunctionInvoker;
  /** Table storage (Azurite) connection string; tables are `{taskHub}Instances` and `{taskHub}History`. */
  tableConnectionString: string;
  /** Letters and digits only (it prefixes table names), as the extension requires of hub names. */
  taskHub: string;
  /** host.json `extensions.durableTask.maxConcurrentActivityFunctions`. */
  maxConcurrentActivities: number;
  /** Origin the Functions host serves on (e.g. `http://127.0.0.1:7071`); client URLs are built from it. */
  publicBaseUrl: string;
  logger?: DurableLogger;
  /** How long `stop()` waits for activities in flight (default 2000 ms). */
  stopGraceMs?: number;
}

export interface DurableEngine extends DurableHost {
  /** Creates the tables and resumes every unfinished orchestration. */
  start(): Promise<void>;
  /** Stops taking work, waits briefly for work in flight; persisted state stays consistent for the next start. */
  stop(): Promise<void>;
  /** Starts an orchestration (what POST orchestrators/{name} does); rejects with a `DurableRequestError`. */
  startNew(name: string, options?: { instanceId?: string; input?: unknown }): Promise<string>;
  getInstance(instanceId: string): Promise<InstanceRecord | undefined>;
  raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<ControlResult>;
  terminate(instanceId: string, reason?: string): Promise<ControlResult>;
  /** Resolves with the instance once it is Completed, Failed or Terminated (polling storage). */
  waitForCompletion(instanceId: string, options?: { timeoutMs?: number }): Promise<InstanceRecord>;
  /** Activity functions running right now. */
  readonly activeActivities: number;
}

const HUB_NAME = /^[A-Za-z][A-Za-z0-9]{2,44}$/;
const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export async function createDurableEngine(options: DurableEngineOptions): Promise<DurableEngine> {
  if (!HUB_NAME.test(options.taskHub)) {
    throw new RangeError(
      `Expected 3-45 letters and digits starting with a letter for taskHub but received ${JSON.stringify(options.taskHub)}`,
    );
  }
  const logger: DurableLogger = options.logger ?? ((level, text) => console[level](`[durable] ${text}`));
  const store = new DurableStore(options.tableConnectionString, options.taskHub);
  const engine = new DurableTaskEngine({
    invoker: options.invoker,
    store,
    maxConcurrentActivities: options.maxConcurrentActivities,
    logger,
    stopGraceMs: options.stopGraceMs ?? 2_000,
  });
  const api = new DurableHttpApi(engine, options.taskHub);
  const bindingData = JSON.stringify(clientBindingData(options.publicBaseUrl, options.taskHub));

  return Promise.resolve({
    start: () => engine.start(),
    stop: () => engine.stop(),
    clientBindingData: () => bindingData,
    handleHttp: (request: HttpExchangeRequest): Promise<HttpExchangeResponse> => api.handle(request),
    startNew: (name, startOptions) =>
      engine.startNew(
        name,
        startOptions?.instanceId,
        startOptions?.input === undefined ? undefined : JSON.stringify(startOptions.input),
      ),
    getInstance: (instanceId) => engine.getInstance(instanceId),
    raiseEvent: (instanceId, eventName, data) =>
      engine.raiseEvent(instanceId, eventName, data === undefined ? undefined : JSON.stringify(data)),
    terminate: (instanceId, reason) => engine.terminate(instanceId, reason),
    async waitForCompletion(instanceId, waitOptions) {
      const deadline = Date.now() + (waitOptions?.timeoutMs ?? 30_000);
      for (;;) {
        const record = await engine.getInstance(instanceId);
        if (record && TERMINAL.has(record.runtimeStatus)) return record;
        if (Date.now() > deadline) {
          throw new Error(
            `Instance ${instanceId} did not finish in time (status ${record?.runtimeStatus ?? 'unknown'})`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    get activeActivities() {
      return engine.activeActivities;
    },
  });
}

export { DurableRequestError } from './errors';
export type { ControlResult, DurableLogger } from './engine';
export type { InstanceRecord } from './store';
export type { RuntimeStatus } from './status';
