// The app's Azure identity, for identity-based storage and the cloud grant connectors. In Azure it
// is the Function App's managed identity (a user-assigned one names its client id); elsewhere the
// usual @azure/identity settings apply (AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or
// AZURE_CLIENT_CERTIFICATE_PATH; or a developer's `az login`). Nothing is stored in a table.
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

export function azureCredential(managedIdentityClientId?: string): TokenCredential {
  return managedIdentityClientId
    ? new DefaultAzureCredential({ managedIdentityClientId })
    : new DefaultAzureCredential();
}
