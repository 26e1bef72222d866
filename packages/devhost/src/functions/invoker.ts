import { randomUUID } from 'node:crypto';
import type {
  BindingInfo,
  FunctionInvoker,
  InvocationResult,
  RegisteredFunctionInfo,
  TypedData,
} from '../contracts';
import type { CoreInvocationContext, RpcInvocationResponse, RpcParameterBinding } from './coreTypes';
import type { FunctionsCore, Registration } from './functionsCore';

/** Supplies the data of a non-trigger input binding the host fills itself (e.g. `durableClient`). */
export type ExtraInputProvider = (binding: BindingInfo) => TypedData | undefined;

const TRIGGER_TYPE = /trigger$/i;

/** The worker's view of a registration: every binding named by its key (`$return` included). */
export function describeRegistration(registration: Registration): RegisteredFunctionInfo {
  const bindings = Object.entries(registration.metadata.bindings).map(
    ([name, binding]) => ({ ...binding, name }) as BindingInfo,
  );
  const trigger = bindings.find((binding) => binding.direction === 'in' && TRIGGER_TYPE.test(binding.type));
  if (!trigger) throw new Error(`Function "${registration.functionId}" has no trigger binding`);
  return { name: registration.functionId, trigger, bindings };
}

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

function definedData(data: TypedData | null | undefined): TypedData | undefined {
  return data === null ? undefined : data;
}

/**
 * Invokes registered functions through the app's programming model with the typed data the Node worker
 * passes (`InvocationHandler.ts`): getInvocationModel -> getArguments -> preInvocation hooks -> invokeFunction
 * -> postInvocation hooks -> getResponse.
 */
export class CoreFunctionInvoker implements FunctionInvoker {
  readonly #core: FunctionsCore;
  readonly #extraInputs = new Map<string, ExtraInputProvider>();

  constructor(core: FunctionsCore) {
    this.#core = core;
  }

  /** Fills every input binding of this type (case-insensitive) on each invocation. */
  provideExtraInput(bindingType: string, provider: ExtraInputProvider): void {
    this.#extraInputs.set(bindingType.toLowerCase(), provider);
  }

  functions(): RegisteredFunctionInfo[] {
    return [...this.#core.registrations.values()].map(describeRegistration);
  }

  async invoke(
    functionName: string,
    request: { triggerData: TypedData; triggerMetadata?: Record<string, TypedData>; invocationId?: string },
  ): Promise<InvocationResult> {
    const registration = this.#core.registrations.get(functionName);
    if (!registration)
      return { ok: false, error: new Error(`No function named "${functionName}" is registered`) };
    const programmingModel = this.#core.programmingModel;
    if (!programmingModel) return { ok: false, error: new Error('The app did not set a programming model') };

    const invocationId = request.invocationId ?? randomUUID();
    let invocationContext: unknown;
    const coreContext: CoreInvocationContext = {
      invocationId,
      request: {
        invocationId,
        functionId: registration.functionId,
        inputData: this.#inputData(describeRegistration(registration), request.triggerData),
        triggerMetadata: request.triggerMetadata ?? {},
      },
      metadata: registration.metadata,
      state: undefined,
      log: (level, category, message) =>
        this.#core.log({ level, category, message, functionName, invocationId, invocationContext }),
    };

    try {
      const model = await programmingModel.getInvocationModel(coreContext);
      const { context, inputs } = await model.getArguments();
      invocationContext = context;
      const hookData: Record<string, unknown> = {};
      const appHookData = this.#core.appHookData;
      const pre = {
        hookData,
        appHookData,
        invocationContext: context,
        inputs,
        functionCallback: registration.callback,
      };
      coreContext.state = 'preInvocationHooks';
      await this.#core.runHooks('preInvocation', pre);
      coreContext.state = undefined;

      const post = {
        hookData,
        appHookData,
        invocationContext: context,
        inputs: pre.inputs,
        result: null as unknown,
        error: null as unknown,
      };
      coreContext.state = 'invocation';
      try {
        post.result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
      } catch (error) {
        post.error = error;
      }
      coreContext.state = 'postInvocationHooks';
      await this.#core.runHooks('postInvocation', post);
      coreContext.state = undefined;
      if (post.error !== null && post.error !== undefined) return { ok: false, error: toError(post.error) };

      const response: RpcInvocationResponse = await model.getResponse(context, post.result);
      return {
        ok: true,
        returnValue: definedData(response.returnValue),
        outputData: (response.outputData ?? []).map((output) => ({
          name: output.name ?? '',
          data: definedData(output.data),
        })),
      };
    } catch (error) {
      return { ok: false, error: toError(error) };
    }
  }

  /** Trigger data under the trigger binding's name, then host-filled inputs, in binding order. */
  #inputData(info: RegisteredFunctionInfo, triggerData: TypedData): RpcParameterBinding[] {
    const inputData: RpcParameterBinding[] = [{ name: info.trigger.name, data: triggerData }];
    for (const binding of info.bindings) {
      if (binding === info.trigger || binding.direction !== 'in') continue;
      const provider = this.#extraInputs.get(binding.type.toLowerCase());
      if (provider) inputData.push({ name: binding.name, data: provider(binding) });
    }
    return inputData;
  }
}
