// Key design of a principal's partition in table `RoleManagement` (beside the resource partitions
// of role-management-keys.ts), holding what changes when a person activates, deactivates, is
// approved, or is granted or removed by an admin:
//
//   PartitionKey          RowKey                        row
//   principal:{id}        access                        the effective-access record (the guard:
//                                                       every change of the partition rewrites it
//                                                       with If-Match, so changes serialise)
//   principal:{id}        areq|{invertedMs}|{requestId} the principal's activation requests, newest
//                                                       first (ids are UUIDv7: the id gives the key)
//   principal:{id}        asgn|{scheduleId}             activated assignments (schedule id = request id)
//   principal:{id}        ~outbox|{commitId}            audit outbox rows (shared/audit/outbox.ts)
//
// Why by principal: an activation's request, its grant, the access record the check reads and the
// audit row all change together, in ONE entity-group transaction; the check is one point read;
// and the rule that must hold under concurrency - one live activation per principal and target -
// is about one principal.
import { idTime } from '../time-ordered-id';
import { assertKey, invertedTime } from './keys';

export const PRINCIPAL_PREFIX = 'principal:';
export const ACCESS_RK = 'access';
export const REQUEST_PREFIX = 'areq|';
export const SCHEDULE_PREFIX = 'asgn|';

export function principalPk(principalId: string): string {
  return assertKey(PRINCIPAL_PREFIX + principalId.toLowerCase(), 'partition key');
}

export function principalOfPk(pk: string): string | undefined {
  return pk.startsWith(PRINCIPAL_PREFIX) ? pk.slice(PRINCIPAL_PREFIX.length) : undefined;
}

/** The request's row key, or undefined for an id that no activation request can have. */
export function activationRequestRk(requestId: string): string | undefined {
  const ms = idTime(requestId.toLowerCase());
  return ms === undefined ? undefined : `${REQUEST_PREFIX}${invertedTime(ms)}|${requestId.toLowerCase()}`;
}

export function activatedScheduleRk(scheduleId: string): string {
  return assertKey(SCHEDULE_PREFIX + scheduleId.toLowerCase(), 'row key');
}

/** The request id of a request row key. */
export function requestIdOfRk(rk: string): string | undefined {
  return rk.startsWith(REQUEST_PREFIX) ? rk.slice(rk.lastIndexOf('|') + 1) : undefined;
}
