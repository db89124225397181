// The deployment template cannot be compiled here (no Bicep CLI), so this reads it as text and
// checks what would break a deployment silently: a setting the code reads that Azure never sets,
// a secret set as a plain value, a key where an identity belongs, an azd wiring that points nowhere.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_SETTINGS, SETTING_NAMES } from '../../shared/config';

const root = path.resolve(__dirname, '..', '..');
const bicep = fs.readFileSync(path.join(root, 'infra', 'main.bicep'), 'utf8');
const code = bicep
  .split('\n')
  .map((line) => line.replace(/\s\/\/.*$/, '').replace(/^\s*\/\/.*$/, ''))
  .join('\n');

/** Settings the template leaves out on purpose, and why. */
const NOT_IN_AZURE: Record<string, string> = {
  AzureWebJobsStorage: 'identity-based: AzureWebJobsStorage__accountName instead of a connection string',
  AzureWebJobsStorage__tableServiceUri: 'the account name gives the public cloud URL',
  DEV_ISSUER_URL: 'the dev issuer is off in Azure',
  DEV_ISSUER_KEY_DIR: 'the dev issuer is off in Azure',
};

/** name -> value expression, for every `{ name: '...', value: ... }` in the template. */
function settingsInTemplate(): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of code.matchAll(/^\s*\{ name: '([A-Za-z0-9_]+)', value: (.+) \}\s*$/gm)) {
    found.set(m[1], m[2]);
  }
  return found;
}

describe('infra/main.bicep', () => {
  const settings = settingsInTemplate();

  it('sets every app setting the code reads', () => {
    const missing = SETTING_NAMES.filter((n) => !settings.has(n) && !(n in NOT_IN_AZURE));
    expect(missing).toEqual([]);
    for (const n of Object.keys(NOT_IN_AZURE)) expect(settings.has(n)).toBe(false);
  });

  it('sets every secret as a Key Vault reference, and no secret parameter reaches a setting directly', () => {
    for (const name of SECRET_SETTINGS) {
      expect(settings.get(name), name).toMatch(/^'\$\{kv\}[a-z-]+\)'$/);
    }
    expect(code).toMatch(/var kv = '@Microsoft\.KeyVault\(VaultName=\$\{vault\.name\};SecretName='/);
    const secureParams = [...code.matchAll(/@secure\(\)\s*(?:@description\([^\n]*\)\s*)?param (\w+)/g)].map(
      (m) => m[1],
    );
    expect(secureParams.length).toBe(SECRET_SETTINGS.length);
    for (const p of secureParams) {
      const uses = [...code.matchAll(new RegExp(`\\b${p}\\b`, 'g'))].length;
      const inVault = new RegExp(`'[a-z-]+': (empty\\(${p}\\) \\? 'none' : )?${p}\\b`).test(code);
      expect(inVault, `${p} goes into the vault`).toBe(true);
      // Declared, put in the vault, and at most tested for emptiness: never a setting's value.
      expect(
        [...settings.values()].some((v) => new RegExp(`\\b${p}\\b`).test(v)),
        p,
      ).toBe(false);
      expect(uses).toBeLessThanOrEqual(4);
    }
  });

  it('reaches storage with the managed identity, never a key, and grants it the data roles', () => {
    expect(settings.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(settings.get('AzureWebJobsStorage__clientId')).toBe('identity.properties.clientId');
    expect(code).toMatch(/allowSharedKeyAccess: false/);
    expect(code).not.toMatch(/listKeys\(|AccountKey=|InstrumentationKey=/);
    for (const role of [
      'storageBlobDataOwner',
      'storageQueueDataContributor',
      'storageTableDataContributor',
    ]) {
      expect(code).toContain(`roles.${role}`);
    }
    expect(code).toMatch(/keyVaultReferenceIdentity: identity\.id/);
  });

  it('runs Node 20 on Flex Consumption, signs in with Entra ID and keeps the dev issuer off', () => {
    expect(code).toMatch(/runtime: \{ name: 'node', version: '20' \}/);
    expect(code).toMatch(/name: 'FC1'/);
    expect(settings.get('DEV_ISSUER_ENABLED')).toBe("'false'");
    expect(settings.get('AUTH_ISSUER')).toContain('/v2.0');
    expect(settings.get('AUTH_JWKS_URL')).toContain('/discovery/v2.0/keys');
  });

  it('is wired for azd: the service tag, the package directory and every parameter', () => {
    const azure = fs.readFileSync(path.join(root, 'azure.yaml'), 'utf8');
    expect(azure).toMatch(/host: function/);
    expect(azure).toMatch(/dist: \.package\/app/);
    expect(azure).toMatch(/npm run package/);
    expect(code).toContain("'azd-service-name': 'api'");
    const params = JSON.parse(
      fs.readFileSync(path.join(root, 'infra', 'main.parameters.json'), 'utf8'),
    ).parameters;
    const declared = [...code.matchAll(/^param (\w+) /gm)].map((m) => m[1]);
    const withoutDefault = [...code.matchAll(/^param (\w+) \w+\s*$/gm)].map((m) => m[1]);
    for (const p of Object.keys(params)) expect(declared, p).toContain(p);
    for (const p of withoutDefault) expect(Object.keys(params), p).toContain(p);
  });
});
