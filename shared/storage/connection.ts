// Table clients built from the storage connection string. Azurite speaks plain HTTP, which the SDK
// refuses unless told; production accounts use HTTPS and the flag has no effect there.
import { TableClient, TableServiceClient, type TableServiceClientOptions } from '@azure/data-tables';
import { settings } from '../config';
import { countingPolicy } from './request-count';

const DEVELOPMENT_STORAGE =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;';

export function connectionString(): string {
  const value = settings().AzureWebJobsStorage;
  return value.trim() === 'UseDevelopmentStorage=true' ? DEVELOPMENT_STORAGE : value;
}

/** Every client counts its requests (request-count.ts); Azurite speaks plain HTTP. */
export function options(extra?: TableServiceClientOptions): TableServiceClientOptions {
  return {
    allowInsecureConnection: true,
    additionalPolicies: [{ policy: countingPolicy, position: 'perRetry' }],
    ...extra,
  };
}

export function tableServiceClient(extra?: TableServiceClientOptions): TableServiceClient {
  return TableServiceClient.fromConnectionString(connectionString(), options(extra));
}

/**
 * TABLE_PREFIX (letters and digits) puts every table of the app under a prefix, so that several
 * instances (test hosts, say) can share one storage account without seeing each other's data.
 */
export function tableName(table: string): string {
  const prefix = process.env.TABLE_PREFIX ?? '';
  if (!/^[A-Za-z0-9]*$/.test(prefix)) throw new Error('TABLE_PREFIX may hold only letters and digits.');
  return `${prefix}${table}`;
}

// Clients are reusable and cost a connection-string parse and a request pipeline to build, which
// showed in profiles when every call built its own: one per connection string and table.
const clients = new Map<string, TableClient>();

export function tableClient(table: string, extra?: TableServiceClientOptions): TableClient {
  if (extra) return TableClient.fromConnectionString(connectionString(), tableName(table), options(extra));
  const conn = connectionString();
  const name = tableName(table);
  const key = `${conn}\n${name}`;
  let client = clients.get(key);
  if (!client) {
    if (clients.size > 1000) clients.clear(); // per-day audit tables over years of a long-lived host
    client = TableClient.fromConnectionString(conn, name, options());
    clients.set(key, client);
  }
  return client;
}
