// What the app registered through `@azure/functions-core`. The devhost provides that module
// (see install-core-api.ts) so that the real `@azure/functions` library keeps registrations
// instead of switching to "test mode".

export interface RpcBinding {
  type: string;
  direction?: 'in' | 'out' | 'inout';
  [key: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, RpcBinding>;
  retryOptions?: unknown;
  [key: string]: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
  /** The binding name and binding of the trigger. */
  triggerName: string;
  trigger: RpcBinding;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<{ returnValue?: unknown; outputData?: unknown[] }>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: unknown): InvocationModel;
  /** Called once the app is loaded; `HttpUri` in the answer turns on HTTP streaming. */
  getCapabilities?(workerCapabilities: Record<string, string>): Promise<Record<string, string>>;
}

export type HookCallback = (context: unknown) => unknown;

export class Registry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<string, HookCallback[]>();
  programmingModel: ProgrammingModel | undefined;

  register(metadata: FunctionMetadata, callback: FunctionCallback): void {
    const name = metadata.name;
    if (this.functions.has(name)) throw new Error(`A function named "${name}" is already registered.`);
    const entry = Object.entries(metadata.bindings).find(([, b]) => /trigger$/i.test(b.type));
    if (!entry) throw new Error(`Function "${name}" has no trigger binding.`);
    this.functions.set(name, { metadata, callback, triggerName: entry[0], trigger: entry[1] });
  }

  byTriggerType(type: string): RegisteredFunction[] {
    const wanted = type.toLowerCase();
    return [...this.functions.values()].filter((f) => f.trigger.type.toLowerCase() === wanted);
  }

  get(name: string): RegisteredFunction | undefined {
    return this.functions.get(name);
  }

  addHook(name: string, cb: HookCallback): { dispose(): void } {
    const list = this.hooks.get(name) ?? [];
    list.push(cb);
    this.hooks.set(name, list);
    return {
      dispose: () => {
        const i = list.indexOf(cb);
        if (i >= 0) list.splice(i, 1);
      },
    };
  }
}
