// Records of the RoleManagement table <-> table entities. Each row keeps its record as JSON in
// `data` (nested Graph shapes stay intact) plus flat columns that queries filter on. Rows are
// parsed with the domain's zod schemas on the way out: a hand-edited row fails loudly.
import type { TableEntity } from '@azure/data-tables';
import type { z } from 'zod';
import { Group } from '../domain/groups';
import { type PolicyTarget, RoleManagementPolicy } from '../domain/policy';
import { ScheduleRequestRecord } from '../domain/requests';
import { RoleDefinition } from '../domain/roles';
import { ScheduleRecord } from '../domain/schedules';
import type { Row } from './paging';
import {
  DEFINITION_RK,
  expiresAt,
  GROUP_RK,
  policyRk,
  type Resource,
  requestRk,
  resourceOfTarget,
  resourcePk,
  scheduleRk,
} from './role-management-keys';

export type Entity = TableEntity<Record<string, unknown>>;

export interface Stored<T> {
  value: T;
  etag: string;
}

export const EntityType = {
  head: 'head',
  roleDefinition: 'roleDefinition',
  group: 'group',
  policy: 'policy',
  schedule: 'schedule',
  request: 'request',
} as const;

const MAX_DATA_CHARS = 30_000;

function data(value: unknown): string {
  const json = JSON.stringify(value);
  if (json.length > MAX_DATA_CHARS) throw new Error('record too large for one table property');
  return json;
}

export function parseData<S extends z.ZodType>(schema: S, row: Row | Entity): z.output<S> {
  if (typeof row.data !== 'string') throw new Error(`row ${row.partitionKey}/${row.rowKey} has no data`);
  return schema.parse(JSON.parse(row.data));
}

export function stored<S extends z.ZodType>(schema: S, row: Row): Stored<z.output<S>> {
  return { value: parseData(schema, row), etag: row.etag };
}

export function roleDefinitionEntity(def: RoleDefinition): Entity {
  return {
    partitionKey: resourcePk({ kind: 'role', id: def.id }),
    rowKey: DEFINITION_RK,
    type: EntityType.roleDefinition,
    data: data(RoleDefinition.parse(def)),
  };
}

export function groupEntity(group: Group): Entity {
  return {
    partitionKey: resourcePk({ kind: 'group', id: group.id }),
    rowKey: GROUP_RK,
    type: EntityType.group,
    data: data(Group.parse(group)),
  };
}

export function policyEntity(target: PolicyTarget, policy: RoleManagementPolicy): Entity {
  return {
    partitionKey: resourcePk(resourceOfTarget(target)),
    rowKey: policyRk(target.kind === 'group' ? target.accessId : undefined),
    type: EntityType.policy,
    data: data(RoleManagementPolicy.parse(policy)),
  };
}

export function scheduleEntity(s: ScheduleRecord): Entity {
  return {
    partitionKey: resourcePk(resourceOfTarget(s.target)),
    rowKey: scheduleRk(s.level, s.id),
    type: EntityType.schedule,
    principalId: s.principalId,
    expiresAt: expiresAt(s.endDateTime),
    data: data(ScheduleRecord.parse(s)),
  };
}

export function requestEntity(r: ScheduleRequestRecord): Entity {
  return {
    partitionKey: resourcePk(resourceOfTarget(r.target)),
    rowKey: requestRk(r.level, r.id),
    type: EntityType.request,
    principalId: r.principalId,
    createdDateTime: r.createdDateTime,
    data: data(ScheduleRequestRecord.parse(r)),
  };
}

/** The key of a row, for deletes (principalId kept so the projector can find its index rows). */
export function keyOf(entity: Entity): Entity {
  const key: Entity = { partitionKey: entity.partitionKey, rowKey: entity.rowKey };
  if (typeof entity.principalId === 'string') key.principalId = entity.principalId;
  return key;
}

export function headEntity(resource: Resource, revision: number, deleted: boolean): Entity {
  return { partitionKey: resourcePk(resource), rowKey: 'head', type: EntityType.head, revision, deleted };
}
