// Runs one function invocation through the app's own programming model (the same conversions the
// Azure Functions Node worker does): typed RPC data in, typed RPC data out.
import { randomUUID } from 'node:crypto';
import type { InvocationModel, RegisteredFunction, Registry, RpcBinding } from './registry';

export interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  http?: Record<string, unknown>;
  int?: number;
  double?: number;
}

export interface InvocationResult {
  returnValue?: RpcTypedData | null;
  outputData?: { name: string; data: RpcTypedData }[];
  /** Whether the handler returned something (with HTTP streaming, the response went elsewhere). */
  handlerAnswered?: boolean;
}

/** Supplies data for a non-trigger input binding (e.g. the durable client). */
export type InputProvider = (binding: RpcBinding, fn: RegisteredFunction) => RpcTypedData;

export type LogSink = (level: string, fn: string, message: string) => void;

export class Invoker {
  private readonly inputProviders = new Map<string, InputProvider>();

  constructor(
    private readonly registry: Registry,
    private readonly logSink: LogSink,
  ) {}

  provideInput(bindingType: string, provider: InputProvider): void {
    this.inputProviders.set(bindingType.toLowerCase(), provider);
  }

  /** Invokes and converts the result to typed RPC data, as the worker answers the host. */
  async invoke(
    fn: RegisteredFunction,
    triggerData: RpcTypedData,
    triggerMetadata: Record<string, RpcTypedData> = {},
    invocationId: string = randomUUID(),
  ): Promise<InvocationResult> {
    const { invocation, context, result } = await this.run(fn, triggerData, triggerMetadata, invocationId);
    const response = (await invocation.getResponse(context, result)) as InvocationResult;
    return { ...response, handlerAnswered: result !== undefined && result !== null };
  }

  /** Invokes and hands back the handler's own return value (the durable engine reads live objects). */
  async invokeRaw(fn: RegisteredFunction, triggerData: RpcTypedData): Promise<unknown> {
    return (await this.run(fn, triggerData, {}, randomUUID())).result;
  }

  private async run(
    fn: RegisteredFunction,
    triggerData: RpcTypedData,
    triggerMetadata: Record<string, RpcTypedData>,
    invocationId: string,
  ): Promise<{ invocation: InvocationModel; context: unknown; result: unknown }> {
    const model = this.registry.programmingModel;
    if (!model) throw new Error('The app registered no programming model.');
    const inputData = [{ name: fn.triggerName, data: triggerData }];
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (name === fn.triggerName || binding.direction !== 'in') continue;
      const provider = this.inputProviders.get(binding.type.toLowerCase());
      if (provider) inputData.push({ name, data: provider(binding, fn) });
    }
    const coreCtx = {
      invocationId,
      metadata: { name: fn.metadata.name, bindings: fn.metadata.bindings },
      request: { invocationId, functionId: fn.metadata.name, inputData, triggerMetadata },
      state: undefined as string | undefined,
      log: (level: string, _category: string, message: string) =>
        this.logSink(level, fn.metadata.name, message),
    };
    const invocation = model.getInvocationModel(coreCtx);
    const { context, inputs } = await invocation.getArguments();
    const hookData: Record<string, unknown> = {};
    let callback = fn.callback;
    for (const hook of this.registry.hooks.get('preInvocation') ?? []) {
      const hookCtx = {
        invocationContext: context,
        inputs,
        functionCallback: callback,
        hookData,
        appHookData: {},
      };
      coreCtx.state = 'preInvocationHooks';
      await hook(hookCtx);
      callback = hookCtx.functionCallback;
    }
    coreCtx.state = 'invocation';
    let result: unknown;
    let error: unknown;
    try {
      result = await invocation.invokeFunction(context, inputs, callback);
    } catch (err) {
      error = err;
    }
    for (const hook of this.registry.hooks.get('postInvocation') ?? []) {
      coreCtx.state = 'postInvocationHooks';
      const hookCtx = { invocationContext: context, inputs, result, error, hookData, appHookData: {} };
      await hook(hookCtx);
      result = hookCtx.result;
      error = hookCtx.error;
    }
    if (error !== undefined) throw error;
    return { invocation, context, result };
  }
}

/** Decodes typed RPC data the way the worker's converters encode it. */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.string !== undefined) return data.string;
  if (data.json !== undefined) return JSON.parse(data.json);
  if (data.bytes !== undefined) return Buffer.from(data.bytes);
  if (data.int !== undefined) return data.int;
  if (data.double !== undefined) return data.double;
  return undefined;
}
