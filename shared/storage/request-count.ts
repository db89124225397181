// Counts the storage requests this process makes: in total, and within one scope (an HTTP call),
// so that benchmarks and diagnostics can say what an operation costs. Storage requests are the
// product's unit of cost: each is a round trip and a billed transaction on Azure. A pipeline policy
// on every table client counts; background work (publication) runs outside any call's scope.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

interface Scope {
  requests: number;
}

const scopes = new AsyncLocalStorage<Scope>();
let total = 0;
// Scopes cost every promise a hook (async_hooks): only where something reads them (benchmarks).
const scoped = /^(1|true)$/i.test(process.env.STORAGE_DIAGNOSTICS ?? '');

export const countingPolicy: PipelinePolicy = {
  name: 'storageRequestCount',
  sendRequest(request, next) {
    total++;
    const scope = scopes.getStore();
    if (scope) scope.requests++;
    return next(request);
  },
};

/** Runs `fn`, counting the storage requests made on its behalf (not by work it leaves running). */
export async function countRequests<T>(fn: () => Promise<T>): Promise<{ result: T; requests: number }> {
  if (!scoped) return { result: await fn(), requests: Number.NaN };
  const scope: Scope = { requests: 0 };
  const result = await scopes.run(scope, fn);
  return { result, requests: scope.requests };
}

/** Runs `fn` outside the current scope: work that outlives the call that started it. */
export function detached<T>(fn: () => T): T {
  return scoped ? scopes.exit(fn) : fn();
}

/** Storage requests this process has made since it started. */
export function totalRequests(): number {
  return total;
}
