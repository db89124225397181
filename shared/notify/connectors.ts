// Grant connectors: per role or group, a target system that hears each grant and revoke as a signed
// POST. Secrets are sealed at rest and never shown.
//   JitGrantConnectors  PK = 'connector'   RK = connector id
import { randomUUID } from 'node:crypto';
import { odata } from '@azure/data-tables';
import type { Target } from '../domain/schedules';
import { Snapshot } from '../snapshot';
import { openSecret, sealSecret } from './secrets';
import { notifyTable, statusCode } from './tables';

export type ConnectorTarget = { kind: 'role'; roleDefinitionId: string } | { kind: 'group'; groupId: string };

export interface Connector {
  id: string;
  displayName: string;
  target: ConnectorTarget;
  url: string;
  secret: string;
  createdDateTime: string;
  createdBy: string;
}

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
    targetKind: c.target.kind,
    targetId: targetIdOf(c.target),
    url: c.url,
    secretSealed: sealSecret(c.secret, `connector-secret:${c.id}`),
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
    url: String(e.url),
    secret: openSecret(String(e.secretSealed), `connector-secret:${id}`),
    createdDateTime: String(e.createdDateTime),
    createdBy: String(e.createdBy),
  };
}

export async function createConnector(
  input: Omit<Connector, 'id' | 'createdDateTime'>,
  at: Date,
): Promise<Connector> {
  const c: Connector = { ...input, id: randomUUID(), createdDateTime: at.toISOString() };
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
