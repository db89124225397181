// The JIT access service on Azure: one Function App (Flex Consumption, Node 20) running the zip
// `npm run package` makes, with the Durable Task extension on its own storage account.
//   - no keys: the app reaches storage, Key Vault and Application Insights with a user-assigned
//     managed identity (AzureWebJobsStorage__accountName + __credential + __clientId)
//   - every secret setting is a Key Vault reference; the secrets come in as secure parameters
//   - sign-in: the tenant's Entra ID v2 issuer and keys, for the app registration's audience; the
//     dev issuer is off
// `azd up` deploys it (azure.yaml); test/unit/infra.test.ts checks that every setting the code reads
// is set here and every secret is a Key Vault reference (no Bicep compiler runs in CI).
targetScope = 'resourceGroup'

@description('Name of the azd environment; prefixes resource names.')
@minLength(1)
@maxLength(20)
param environmentName string

param location string = resourceGroup().location

// ---- sign-in (the Entra app registration of the API) ---------------------------------------------
@description('Audiences the API accepts: the app registration\'s Application ID URI and client id, comma-separated.')
param authAudience string

@description('The portal\'s own app registration (a single-page app, redirect URI https://<app>.azurewebsites.net/); empty: no sign-in in the portal.')
param portalClientId string = ''

@description('The delegated scope the portal asks for, e.g. api://<api app id>/access_as_user.')
param portalApiScope string = ''

@description('Object ids of the first administrators (comma-separated), until role assignments exist.')
param bootstrapAdminIds string

// ---- mail -----------------------------------------------------------------------------------------
param smtpHost string = ''
param smtpPort string = '587'
param smtpUser string = ''
param mailFrom string = 'JIT Access <pim-noreply@contoso.com>'
@description('Who gets the admins\' mails; empty: the bootstrap admins\' addresses.')
param notifyAdminEmails string = ''

// ---- audit ----------------------------------------------------------------------------------------
@description('Days audit rows are kept; empty: forever.')
param auditRetentionDays string = ''

// ---- secrets (each lands in Key Vault; `azd env set` them, see README "Deploy to Azure") ----------
@secure()
@description('base64 of 32 random bytes: seals TOTP secrets at rest.')
param mfaEncryptionKey string
@secure()
@description('base64 of >= 32 random bytes: signs approval links.')
param approvalLinkKey string
@secure()
@description('base64 of 32 random bytes: seals webhook and connector secrets at rest.')
param notifyEncryptionKey string
@secure()
@description('base64 of >= 32 random bytes: the audit trail\'s seal key.')
param auditSealKey string
@secure()
@description('Chat tools allowed to decide approvals: name:secret pairs, comma-separated; may be empty.')
param approvalWebhookSecrets string = ''
@secure()
param smtpPassword string = ''

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'azd-env-name': environmentName }
var tenantId = tenant().tenantId
var deploymentContainer = 'app-package'

// Built-in role ids (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-jit-${token}'
  location: location
  tags: tags
}

// ---- storage: tables (the app's data), queues, blobs and tables of the task hub, the package ----
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stjit${token}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    allowSharedKeyAccess: false // identity only: no account key can reach the data
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
  resource blobs 'blobServices' = {
    name: 'default'
    resource packages 'containers' = { name: deploymentContainer }
  }
}

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]: {
    name: guid(storage.id, identity.id, role)
    scope: storage
    properties: {
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

// ---- secrets -------------------------------------------------------------------------------------
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-jit-${token}'
  location: location
  tags: tags
  properties: {
    tenantId: tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
  }
}

var secretValues = {
  'mfa-encryption-key': mfaEncryptionKey
  'approval-link-key': approvalLinkKey
  'notify-encryption-key': notifyEncryptionKey
  'audit-seal-key': auditSealKey
  'approval-webhook-secrets': empty(approvalWebhookSecrets) ? 'none' : approvalWebhookSecrets
  'smtp-password': empty(smtpPassword) ? 'none' : smtpPassword
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [
  for s in items(secretValues): {
    parent: vault
    name: s.key
    properties: { value: s.value }
  }
]

resource vaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

// A setting's Key Vault reference, resolved by the platform with the app's identity.
var kv = '@Microsoft.KeyVault(VaultName=${vault.name};SecretName='

// ---- monitoring ----------------------------------------------------------------------------------
resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-jit-${token}'
  location: location
  tags: tags
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-jit-${token}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true // telemetry is sent with the managed identity, not the instrumentation key alone
  }
}

resource insightsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}

// ---- the Function App ----------------------------------------------------------------------------
resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-jit-${token}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

var appName = 'func-jit-${token}'

var appSettings = concat(
  [
    // Storage, identity-based (the host, the Durable Task extension and the app's own tables).
    { name: 'AzureWebJobsStorage__accountName', value: storage.name }
    { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
    { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
    // The cloud grant connectors' credential (Graph and ARM tokens for the same identity).
    { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
    { name: 'GRAPH_BASE_URL', value: 'https://graph.microsoft.com/v1.0' }
    { name: 'ARM_BASE_URL', value: environment().resourceManager }
    { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
    { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identity.properties.clientId};Authorization=AAD' }
    { name: 'APP_VERSION', value: '0.1.0' }
    // Sign-in: the tenant's Entra ID issuer; the dev issuer is off.
    { name: 'AUTH_ISSUER', value: '${environment().authentication.loginEndpoint}${tenantId}/v2.0' }
    { name: 'AUTH_JWKS_URL', value: '${environment().authentication.loginEndpoint}${tenantId}/discovery/v2.0/keys' }
    { name: 'AUTH_AUDIENCE', value: authAudience }
    { name: 'DEV_ISSUER_ENABLED', value: 'false' }
    // The portal's MSAL sign-in (GET /api/portal/config).
    { name: 'PORTAL_CLIENT_ID', value: portalClientId }
    { name: 'PORTAL_AUTHORITY', value: '${environment().authentication.loginEndpoint}${tenantId}' }
    { name: 'PORTAL_API_SCOPE', value: portalApiScope }
    { name: 'TRUST_APP_SERVICE_AUTH', value: 'false' }
    { name: 'BOOTSTRAP_ADMIN_IDS', value: bootstrapAdminIds }
    // MFA.
    { name: 'MFA_ENCRYPTION_KEY', value: '${kv}mfa-encryption-key)' }
    { name: 'MFA_MAX_AGE_MINUTES', value: '60' }
    { name: 'MFA_TOTP_MAX_FAILURES', value: '5' }
    { name: 'MFA_TOTP_LOCKOUT_MINUTES', value: '15' }
    // Notifications, approvals from mail and chat, webhooks and connectors.
    { name: 'PUBLIC_BASE_URL', value: 'https://${appName}.azurewebsites.net' }
    { name: 'SMTP_PORT', value: smtpPort }
    { name: 'SMTP_SECURE', value: smtpPort == '465' ? 'true' : 'false' }
    { name: 'SMTP_REQUIRE_TLS', value: 'true' }
    { name: 'SMTP_TLS_REJECT_UNAUTHORIZED', value: 'true' }
    { name: 'MAIL_FROM', value: mailFrom }
    { name: 'NOTIFY_ADMIN_EMAILS', value: notifyAdminEmails }
    { name: 'APPROVAL_LINK_KEY', value: '${kv}approval-link-key)' }
    { name: 'APPROVAL_LINK_TTL_MINUTES', value: '1440' }
    { name: 'NOTIFY_ENCRYPTION_KEY', value: '${kv}notify-encryption-key)' }
    { name: 'WEBHOOK_TIMEOUT_MS', value: '10000' }
    { name: 'WEBHOOK_RETRY_FIRST_MS', value: '5000' }
    { name: 'WEBHOOK_RETRY_ATTEMPTS', value: '6' }
    { name: 'WEBHOOK_ALLOW_HTTP', value: 'false' }
    // Audit.
    { name: 'AUDIT_SEAL_KEY', value: '${kv}audit-seal-key)' }
    { name: 'OUTBOX_STARTUP_GRACE_SECONDS', value: '60' }
    // PIM alerts: evaluated hourly (six-field NCRONTAB).
    { name: 'ALERTS_EVALUATION_SCHEDULE', value: '0 0 * * * *' }
  ],
  // Optional settings are left out when blank (an absent setting takes the code's default).
  empty(smtpHost) ? [] : [
    { name: 'SMTP_HOST', value: smtpHost }
    { name: 'SMTP_USER', value: smtpUser }
    { name: 'SMTP_PASSWORD', value: '${kv}smtp-password)' }
  ],
  empty(approvalWebhookSecrets) ? [] : [
    { name: 'APPROVAL_WEBHOOK_SECRETS', value: '${kv}approval-webhook-secrets)' }
  ],
  empty(auditRetentionDays) ? [] : [
    { name: 'AUDIT_RETENTION_DAYS', value: auditRetentionDays }
  ]
)

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: appSettings
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identity.id }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 }
      runtime: { name: 'node', version: '20' }
    }
  }
  dependsOn: [storageRoles, vaultRole, insightsRole, secrets]
}

output AZURE_FUNCTION_APP_NAME string = app.name
output SERVICE_API_ENDPOINT string = 'https://${app.properties.defaultHostName}'
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.properties.principalId
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.properties.clientId
output AZURE_KEY_VAULT_NAME string = vault.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.name
