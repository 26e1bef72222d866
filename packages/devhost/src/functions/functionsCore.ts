import Module from 'node:module';
import { Disposable } from './disposable';
import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookName,
  ProgrammingModel,
  RpcLogCategory,
  RpcLogLevel,
} from './coreTypes';
import type { HostLogger } from './hostLog';

export interface Registration {
  functionId: string;
  /** Exactly what the library passed to `registerFunction`. */
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

/** The library expects this shape for an unknown hook name (`AzFuncRangeError` in the worker). */
class HookRangeError extends RangeError {
  isAzureFunctionsSystemError = true;
}

const HOOK_NAMES: readonly HookName[] = [
  'preInvocation',
  'postInvocation',
  'appStart',
  'appTerminate',
  'log',
];

/**
 * The state behind the virtual module `@azure/functions-core`, as the Node worker keeps it
 * (`setupCoreModule.ts`, `registerFunction.ts`, `registerHook.ts`): registrations, hooks, the programming model.
 */
export class FunctionsCore {
  readonly registrations = new Map<string, Registration>();
  readonly hooks: Record<HookName, HookCallback[]> = {
    preInvocation: [],
    postInvocation: [],
    appStart: [],
    appTerminate: [],
    log: [],
  };
  readonly appHookData: Record<string, unknown> = {};
  programmingModel: ProgrammingModel | undefined;
  /** Set once the app is loaded: like the worker, no registrations after indexing. */
  locked = false;
  logger: HostLogger;

  constructor(logger: HostLogger) {
    this.logger = logger;
  }

  /** The object `require('@azure/functions-core')` returns. */
  readonly api = {
    version: '3.10.1',
    hostVersion: '4.1037.0',
    Disposable,
    registerFunction: (metadata: FunctionMetadata, callback: FunctionCallback): Disposable => {
      if (this.locked) {
        throw new Error(
          'A function can only be registered during app startup (devhost: the app registered after loading).',
        );
      }
      const functionId = metadata.functionId ?? metadata.name;
      if (this.registrations.has(functionId)) {
        throw new Error(`A function with id "${functionId}" has already been registered.`);
      }
      this.registrations.set(functionId, { functionId, metadata, callback });
      return new Disposable(() => this.registrations.delete(functionId));
    },
    registerHook: (hookName: string, callback: HookCallback): Disposable => {
      if (!(HOOK_NAMES as readonly string[]).includes(hookName)) {
        throw new HookRangeError(
          `"${hookName}" is not a valid hook name. Valid values are ${HOOK_NAMES.join(', ')}.`,
        );
      }
      const list = this.hooks[hookName as HookName];
      list.push(callback);
      return new Disposable(() => {
        const index = list.indexOf(callback);
        if (index >= 0) list.splice(index, 1);
      });
    },
    setProgrammingModel: (programmingModel: ProgrammingModel): void => {
      this.programmingModel = programmingModel;
    },
    getProgrammingModel: (): ProgrammingModel | undefined => this.programmingModel,
    log: (level: RpcLogLevel, category: RpcLogCategory, message: string): void =>
      this.log({ level, category, message }),
  };

  /** Runs `log` hooks (they may rewrite level and message, as in the worker), then writes the entry. */
  log(entry: {
    level: RpcLogLevel;
    category: RpcLogCategory;
    message: string;
    functionName?: string;
    invocationId?: string;
    invocationContext?: unknown;
  }): void {
    const { invocationContext, ...rest } = entry;
    const hookContext = { hookData: {}, appHookData: this.appHookData, invocationContext, ...rest };
    for (const hook of this.hooks.log) {
      try {
        hook(hookContext);
      } catch {
        // A broken log hook must not break the invocation that logged.
      }
    }
    this.logger({ ...rest, level: hookContext.level, message: hookContext.message });
  }

  /** Runs hooks of one kind in registration order, awaiting each, as the worker does. */
  async runHooks(name: HookName, context: Record<string, unknown>): Promise<void> {
    for (const hook of [...this.hooks[name]]) await hook(context);
  }
}

let installed: FunctionsCore | undefined;

/**
 * Makes `require('@azure/functions-core')` return this core, exactly like the worker's
 * `Module.prototype.require` proxy. Process-global and permanent: `@azure/functions` caches its lookup
 * (even a failed one), so this must run before anything requires the library.
 */
export function installFunctionsCore(logger: HostLogger): FunctionsCore {
  if (installed) return installed;
  const core = new FunctionsCore(logger);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the proxy calls it with the right `this`
  const originalRequire = Module.prototype.require;
  Module.prototype.require = new Proxy(originalRequire, {
    apply(target, thisArg, args: unknown[]) {
      if (args[0] === '@azure/functions-core') return core.api;
      return Reflect.apply(target, thisArg, args) as unknown;
    },
  });
  installed = core;
  return core;
}
