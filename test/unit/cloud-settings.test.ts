// The pieces of the cloud connectors and identity-based storage that need no server: where the
// tables are for each form of the storage setting, Retry-After, and the ARM assignment's name.
import { describe, expect, it } from 'vitest';
import { ARM_ROLE_DEFINITION, ARM_SCOPE, assignmentName } from '../../shared/cloud/arm-targets';
import { retryAfter } from '../../shared/cloud/cloud-request';
import { resetSettings, type Settings, settings } from '../../shared/config';
import { storageAccount } from '../../shared/storage/connection';

const base = { AzureWebJobsStorage: undefined } as unknown as Settings;

describe('storage account settings', () => {
  it('takes a connection string, Azurite by its short name included', () => {
    expect(storageAccount({ ...base, AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toMatchObject({
      kind: 'connectionString',
      connectionString: expect.stringContaining('TableEndpoint=http://127.0.0.1:10002/devstoreaccount1'),
    });
  });

  it('takes an identity-based account name (with a user-assigned identity) as the Functions host does', () => {
    expect(
      storageAccount({
        ...base,
        AzureWebJobsStorage__accountName: 'stjitprod01',
        AzureWebJobsStorage__clientId: 'abc',
      }),
    ).toEqual({
      kind: 'identity',
      tableServiceUrl: 'https://stjitprod01.table.core.windows.net',
      clientId: 'abc',
    });
    expect(
      storageAccount({
        ...base,
        AzureWebJobsStorage__tableServiceUri: 'https://st.table.core.usgovcloudapi.net/',
      }),
    ).toMatchObject({ kind: 'identity', tableServiceUrl: 'https://st.table.core.usgovcloudapi.net' });
  });

  it('refuses to start with neither form, and names the setting', () => {
    const saved = { ...process.env };
    try {
      delete process.env.AzureWebJobsStorage;
      delete process.env.AzureWebJobsStorage__accountName;
      resetSettings();
      expect(() => settings()).toThrow(/AzureWebJobsStorage/);
      process.env.AzureWebJobsStorage__accountName = 'stjitprod01';
      resetSettings();
      expect(settings().AzureWebJobsStorage__accountName).toBe('stjitprod01');
    } finally {
      process.env = saved;
      resetSettings();
    }
  });
});

describe('cloud calls', () => {
  it('reads Retry-After in seconds and as a date', () => {
    expect(retryAfter('7')).toBe(7000);
    expect(retryAfter('Wed, 02 Dec 2026 10:00:30 GMT', Date.parse('2026-12-02T10:00:00Z'))).toBe(30_000);
    expect(retryAfter(null)).toBeUndefined();
    expect(retryAfter('soon')).toBeUndefined();
  });

  it('names an Azure role assignment the same for the same connector and principal, and only then', () => {
    const a = assignmentName('C0000000-0000-0000-0000-000000000001', 'p1');
    expect(a).toBe(assignmentName('c0000000-0000-0000-0000-000000000001', 'P1'));
    expect(a).not.toBe(assignmentName('c0000000-0000-0000-0000-000000000001', 'p2'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('accepts ARM scopes and role definition ids, and nothing that could climb out of the path', () => {
    const sub = '/subscriptions/3f2a1b6c-0d4e-4f5a-9b8c-7d6e5f4a3b2c';
    for (const ok of [
      sub,
      `${sub}/resourceGroups/rg-1`,
      `${sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1`,
      '/providers/Microsoft.Management/managementGroups/mg1',
    ])
      expect(ARM_SCOPE.test(ok)).toBe(true);
    for (const bad of [
      '/',
      `${sub}/../x`,
      `${sub}/resourceGroups/a b`,
      `${sub}?api-version=1`,
      `${sub}/resourceGroups/rg#x`,
    ])
      expect(ARM_SCOPE.test(bad)).toBe(false);
    expect(
      ARM_ROLE_DEFINITION.test(
        '/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7',
      ),
    ).toBe(true);
    expect(ARM_ROLE_DEFINITION.test('Reader')).toBe(false);
  });
});
