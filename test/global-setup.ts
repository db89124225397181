// Starts one in-memory Azurite on free ports for the whole run and stops it afterwards.
import type { TestProject } from 'vitest/node';
import { startAzurite } from '../devhost/azurite';

declare module 'vitest' {
  export interface ProvidedContext {
    storageConnectionString: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite({});
  process.env.AzureWebJobsStorage = azurite.connectionString;
  project.provide('storageConnectionString', azurite.connectionString);
  return () => azurite.stop();
}
