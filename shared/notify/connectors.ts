// Grant connectors: per role or group, a target system that each grant and revoke reaches:
//   webhook                      a signed POST to `url` (the secret is sealed at rest, never shown)
//   microsoftGraphGroup          membership (or ownership) of an Entra group, `entraGroupId`
//   microsoftGraphDirectoryRole  an Entra directory role assignment (`entraRoleDefinitionId`,
//                                by default the role's own id: built-in roles share Entra's ids)
//   azureRoleAssignment          an Azure RBAC role assignment at `scope` (`azureRoleDefinitionId`)
//   JitGrantConnectors  PK = 'connector'   RK = connector id
import { randomUUID } from 'node:crypto';
import { odata } from '@azure/data-tables';
import type { Target } from '../domain/schedules';
import { Snapshot } from '../snapshot';
import { openSecret, sealSecret } from './secrets';
import { notifyTable, statusCode } from './tables';

export type ConnectorTarget = { kind: 'role'; roleDefinitionId: string } | { kind: 'group'; groupId: string };

export const CONNECTOR_KINDS = [
  'webhook',
  'microsoftGraphGroup',
  'microsoftGraphDirectoryRole',
  'azureRoleAssignment',
] as const;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

export interface Connector {
  id: string;
  displayName: string;
  kind: ConnectorKind;
  target: ConnectorTarget;
  /** webhook */
  url?: string;
  secret?: string;
  /** microsoftGraphGroup */
  entraGroupId?: string;
  /** microsoftGraphDirectoryRole */
  entraRoleDefinitionId?: string;
  /** azureRoleAssignment */
  scope?: string;
  azureRoleDefinitionId?: string;
  createdDateTime: string;
  createdBy: string;
}

const SETTINGS = ['url', 'entraGroupId', 'entraRoleDefinitionId', 'scope', 'azureRoleDefinitionId'] as const;

export type ConnectorView = Omit<Connector, 'secret'>;

const PK = 'connector';
const GUID = /^[0-9a-f-]{36}$/i;

export function viewOf(c: Connector): ConnectorView {
  const { secret: _secret, ...rest } = c;
  return rest;
}

const targetIdOf = (t: ConnectorTarget) => (t.kind === 'role' ? t.roleDefinitionId : t.groupId).toLowerCase();

function toEntity(c: Connector) {
  return {
    partitionKey: PK,
    rowKey: c.id,
    displayName: c.displayName,
    kind: c.kind,
    targetKind: c.target.kind,
    targetId: targetIdOf(c.target),
    ...Object.fromEntries(SETTINGS.filter((k) => c[k] !== undefined).map((k) => [k, c[k]])),
    ...(c.secret === undefined ? {} : { secretSealed: sealSecret(c.secret, `connector-secret:${c.id}`) }),
    createdDateTime: c.createdDateTime,
    createdBy: c.createdBy,
  };
}

function fromEntity(e: Record<string, unknown>): Connector {
  const id = String(e.rowKey);
  const targetId = String(e.targetId);
  return {
    id,
    displayName: String(e.displayName),
    target:
      e.targetKind === 'group'
        ? { kind: 'group', groupId: targetId }
        : { kind: 'role', roleDefinitionId: targetId },
    kind: (CONNECTOR_KINDS as readonly unknown[]).includes(e.kind) ? (e.kind as ConnectorKind) : 'webhook',
    ...Object.fromEntries(SETTINGS.filter((k) => typeof e[k] === 'string').map((k) => [k, String(e[k])])),
    ...(typeof e.secretSealed === 'string'
      ? { secret: openSecret(e.secretSealed, `connector-secret:${id}`) }
      : {}),
    createdDateTime: String(e.createdDateTime),
    createdBy: String(e.createdBy),
  };
}

/** `id`: a replayed admin change proposal names the connector after itself, so a replay finds it. */
export async function createConnector(
  input: Omit<Connector, 'id' | 'createdDateTime'>,
  at: Date,
  id: string = randomUUID(),
): Promise<Connector> {
  const c: Connector = { ...input, id, createdDateTime: at.toISOString() };
  await (await notifyTable('connectors')).createEntity(toEntity(c));
  all.forget();
  return c;
}

export async function getConnector(id: string): Promise<Connector | undefined> {
  if (!GUID.test(id)) return undefined;
  try {
    return fromEntity(await (await notifyTable('connectors')).getEntity(PK, id.toLowerCase()));
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

export async function deleteConnector(id: string): Promise<boolean> {
  if (!GUID.test(id)) return false;
  try {
    await (await notifyTable('connectors')).deleteEntity(PK, id.toLowerCase());
    all.forget();
    return true;
  } catch (err) {
    if (statusCode(err) === 404) return false;
    throw err;
  }
}

async function query(filter: string): Promise<Connector[]> {
  const out: Connector[] = [];
  for await (const e of (await notifyTable('connectors')).listEntities({ queryOptions: { filter } })) {
    out.push(fromEntity(e));
  }
  return out;
}

export function listConnectors(): Promise<Connector[]> {
  return query(odata`PartitionKey eq ${PK}`);
}

// Every grant asks which connectors its role or group has: the list (without secrets) is kept for
// a few seconds (shared/snapshot.ts). The ids a grant went to are recorded with the activation, so
// its extensions and its revoke reach the same ones even if a connector changes meanwhile.
const all = new Snapshot(async () => (await listConnectors()).map(viewOf));

/** The ids of the connectors of a role (at any scope) or of a group (member and owner access alike). */
export async function connectorIdsFor(target: Target): Promise<string[]> {
  const id = (target.kind === 'role' ? target.roleDefinitionId : target.groupId).toLowerCase();
  return (await all.get())
    .filter((c) => c.target.kind === target.kind && targetIdOf(c.target) === id)
    .map((c) => c.id);
}
