// Makes `require('@azure/functions-core')` resolve to an object of ours before the app loads.
// In Azure that module is built into the Node worker; without it `@azure/functions` drops every
// registration. We answer only what a v4 app needs: registerFunction, setProgrammingModel,
// getProgrammingModel, registerHook and log.
import Module from 'node:module';
import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  ProgrammingModel,
  Registry,
} from './registry';

const CORE_MODULE = '@azure/functions-core';
const SHIM_ID = '\0devhost-functions-core';

type LogFn = (level: string, category: string, message: string) => void;

interface ModuleInternals {
  _resolveFilename: (request: string, ...rest: unknown[]) => string;
  _cache: Record<string, unknown>;
}

export function installCoreApi(registry: Registry, log: LogFn): void {
  const api = {
    version: '3.10.1',
    hostVersion: '4.0.0-devhost',
    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback) {
      registry.register(metadata, callback);
      return { dispose() {} };
    },
    setProgrammingModel(model: ProgrammingModel) {
      registry.programmingModel = model;
    },
    getProgrammingModel() {
      return registry.programmingModel;
    },
    registerHook(name: string, cb: HookCallback) {
      return registry.addHook(name, cb);
    },
    log,
    Disposable: class {
      constructor(private readonly fn: () => void) {}
      dispose() {
        this.fn();
      }
    },
  };

  const internals = Module as unknown as ModuleInternals;
  const original = internals._resolveFilename;
  internals._resolveFilename = function (request: string, ...rest: unknown[]) {
    if (request === CORE_MODULE) return SHIM_ID;
    return original.call(this, request, ...rest);
  };
  const shim = new Module(SHIM_ID);
  shim.exports = api;
  shim.loaded = true;
  internals._cache[SHIM_ID] = shim;
}
