// Table clients for the app's storage account, reached one of two ways, as the Functions host does:
//   AzureWebJobsStorage                     a connection string (Azurite locally, or an account key)
//   AzureWebJobsStorage__accountName        identity-based: the account's name (or __tableServiceUri),
//   AzureWebJobsStorage__clientId           with a user-assigned managed identity's client id (optional);
//                                           the token comes from @azure/identity, no key anywhere
// Azurite speaks plain HTTP, which the SDK refuses unless told; production accounts use HTTPS and
// the flag has no effect there.
import { TableClient, TableServiceClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { settings } from '../config';
import { azureCredential } from './azure-credential';
import { countingPolicy } from './request-count';

const DEVELOPMENT_STORAGE =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;';

export type StorageAccount =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; tableServiceUrl: string; clientId?: string };

/** Where the tables are, from the settings (a connection string wins when both forms are set). */
export function storageAccount(s = settings()): StorageAccount {
  const value = s.AzureWebJobsStorage?.trim();
  if (value) {
    return {
      kind: 'connectionString',
      connectionString: value === 'UseDevelopmentStorage=true' ? DEVELOPMENT_STORAGE : value,
    };
  }
  const url =
    s.AzureWebJobsStorage__tableServiceUri ??
    `https://${s.AzureWebJobsStorage__accountName}.table.core.windows.net`;
  return {
    kind: 'identity',
    tableServiceUrl: url.replace(/\/+$/, ''),
    clientId: s.AzureWebJobsStorage__clientId,
  };
}

/** Every client counts its requests (request-count.ts); Azurite speaks plain HTTP. */
export function options(extra?: TableServiceClientOptions): TableServiceClientOptions {
  return {
    allowInsecureConnection: true,
    additionalPolicies: [{ policy: countingPolicy, position: 'perRetry' }],
    ...extra,
  };
}

const credentials = new Map<string, TokenCredential>();
function credentialFor(account: Extract<StorageAccount, { kind: 'identity' }>): TokenCredential {
  const key = account.clientId ?? '';
  let credential = credentials.get(key);
  if (!credential) {
    credential = azureCredential(account.clientId);
    credentials.set(key, credential);
  }
  return credential;
}

export function tableServiceClient(extra?: TableServiceClientOptions): TableServiceClient {
  const account = storageAccount();
  return account.kind === 'connectionString'
    ? TableServiceClient.fromConnectionString(account.connectionString, options(extra))
    : new TableServiceClient(account.tableServiceUrl, credentialFor(account), options(extra));
}

/** A client for a table by its full name (prefix already applied). */
export function newTableClient(fullName: string, extra?: TableServiceClientOptions): TableClient {
  const account = storageAccount();
  return account.kind === 'connectionString'
    ? TableClient.fromConnectionString(account.connectionString, fullName, options(extra))
    : new TableClient(account.tableServiceUrl, fullName, credentialFor(account), options(extra));
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
// showed in profiles when every call built its own: one per table.
const clients = new Map<string, TableClient>();

export function tableClient(table: string, extra?: TableServiceClientOptions): TableClient {
  const name = tableName(table);
  if (extra) return newTableClient(name, extra);
  let client = clients.get(name);
  if (!client) {
    if (clients.size > 1000) clients.clear(); // per-day audit tables over years of a long-lived host
    client = newTableClient(name);
    clients.set(name, client);
  }
  return client;
}
