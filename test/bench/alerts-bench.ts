// PIM alerts: what one evaluation of every alert costs in storage requests, with 1,000 principals
// and 10,000 role assignments (6,000 eligibilities, 4,000 active of which 1,000 permanent), 2,000
// recent activations and 1,000 recorded sign-ins. The directory's catalogs are written straight
// into the index table (fast, and not what is measured); the evaluation runs in this process
// against the same Azurite, counted by the storage pipeline's request counter.
import { randomUUID } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import { ALERTS_TABLE } from '../../shared/alerts/store';
import { resetSettings } from '../../shared/config';
import { BUILT_IN_ROLES } from '../../shared/domain/roles';
import type { ScheduleRecord } from '../../shared/domain/schedules';
import { createServices, systemContext } from '../../shared/services';
import { tableClient } from '../../shared/storage/connection';
import { totalRequests } from '../../shared/storage/request-count';
import { appTable, ensureTable, TableName } from '../../shared/storage/tables';
import { timeOrderedId } from '../../shared/time-ordered-id';
import type { Row } from './bench-util';

const PRINCIPALS = 1_000;
const ELIGIBLE_ROLES = 6; // each principal eligible for every built-in role
const ACTIVE_ROLES = 4; // and active in four of them (one permanent)
const DAY = 86_400_000;

export async function alertsBench(connectionString: string): Promise<Row[]> {
  process.env.AzureWebJobsStorage = connectionString;
  process.env.TABLE_PREFIX = `BenchAlerts${Date.now() % 1_000_000}`;
  resetSettings();
  const s = createServices();
  await s.startup();
  const now = s.now();
  const seeded = await seed(now);

  const measure = async () => {
    const before = totalRequests();
    const started = performance.now();
    const states = await s.alerts.evaluate(systemContext('bench'));
    return {
      requests: totalRequests() - before,
      ms: performance.now() - started,
      active: [...states.values()].filter((a) => a.isActive).length,
      incidents: [...states.values()].reduce((n, a) => n + a.incidentCount, 0),
    };
  };
  const first = await measure();
  const steady = await measure();
  return [
    {
      metric: `seeded: principals / assignments / activations`,
      value: `${PRINCIPALS} / ${seeded.assignments} / ${seeded.activations}`,
      target: '1000 / 10000',
    },
    {
      metric: 'storage requests, first evaluation (all incidents new)',
      value: String(first.requests),
      target: `${first.incidents} incidents written`,
    },
    {
      metric: 'storage requests, evaluation with nothing changed',
      value: String(steady.requests),
      target: 'a few dozen, no audit reads',
    },
    { metric: 'evaluation time, nothing changed (ms)', value: steady.ms.toFixed(0), target: '-' },
    { metric: 'active alerts / incidents', value: `${steady.active} / ${steady.incidents}`, target: '-' },
  ];
}

async function seed(now: Date): Promise<{ assignments: number; activations: number }> {
  const index = appTable(TableName.roleManagementIndex);
  const alerts = tableClient(ALERTS_TABLE);
  await Promise.all([ensureTable(index), ensureTable(alerts)]);
  const roles = BUILT_IN_ROLES.slice(0, ELIGIBLE_ROLES).map((r) => r.id);
  const long = new Date(now.getTime() - 60 * DAY).toISOString();
  const eligible: Record<string, unknown>[] = [];
  const active: Record<string, unknown>[] = [];
  const recent: Record<string, unknown>[] = [];
  const signIns: Record<string, unknown>[] = [];
  for (let p = 0; p < PRINCIPALS; p++) {
    const principalId = randomUUID();
    roles.forEach((roleId, r) => {
      eligible.push(catalogRow('all:elig:role', schedule(principalId, roleId, 'eligibility', long, null)));
      if (r < ACTIVE_ROLES) {
        // One permanent active assignment each; the others end in a month.
        const end = r === 0 ? null : new Date(now.getTime() + 30 * DAY).toISOString();
        active.push(catalogRow('all:asgn:role', schedule(principalId, roleId, 'assignment', long, end)));
      }
    });
    // Two activations each within the last day; every other principal signed in an hour ago.
    for (let a = 0; a < 2; a++) {
      const at = now.getTime() - (a + 1) * 3_600_000;
      const id = timeOrderedId(at);
      recent.push({
        partitionKey: 'activation:role',
        rowKey: `s|${roles[1]}|${id}`,
        principalId,
        removed: true,
        startAt: new Date(at).toISOString(),
      });
    }
    if (p % 2 === 0)
      signIns.push({
        partitionKey: 'signin',
        rowKey: principalId,
        lastSignInDateTime: new Date(now.getTime() - 3_600_000).toISOString(),
      });
  }
  await Promise.all([
    batches(index, [...eligible, ...active]),
    batches(index, recent),
    batches(alerts, signIns),
  ]);
  return { assignments: eligible.length + active.length, activations: recent.length };
}

function schedule(
  principalId: string,
  roleId: string,
  level: 'eligibility' | 'assignment',
  start: string,
  end: string | null,
): ScheduleRecord {
  return {
    id: randomUUID(),
    level,
    target: { kind: 'role', roleDefinitionId: roleId, directoryScopeId: '/' },
    principalId,
    memberType: 'Direct',
    assignmentType: level === 'assignment' ? 'Assigned' : null,
    status: 'Provisioned',
    startDateTime: start,
    endDateTime: end,
    createdDateTime: start,
    modifiedDateTime: start,
    createdUsing: randomUUID(),
  };
}

function catalogRow(partitionKey: string, s: ScheduleRecord): Record<string, unknown> {
  const roleId = s.target.kind === 'role' ? s.target.roleDefinitionId : '';
  return {
    partitionKey,
    rowKey: `${roleId}|${s.id}`,
    principalId: s.principalId,
    expiresAt: s.endDateTime ?? '9999-12-31T23:59:59.999Z',
    data: JSON.stringify(s),
  };
}

/** Upserts in entity-group batches of 100 (rows of one partition each), a few batches at a time. */
async function batches(
  table: ReturnType<typeof tableClient>,
  rows: Record<string, unknown>[],
): Promise<void> {
  const byPk = new Map<string, Record<string, unknown>[]>();
  for (const r of rows) byPk.set(String(r.partitionKey), [...(byPk.get(String(r.partitionKey)) ?? []), r]);
  const jobs: (() => Promise<unknown>)[] = [];
  for (const list of byPk.values()) {
    for (let i = 0; i < list.length; i += 100) {
      const chunk = list.slice(i, i + 100) as { partitionKey: string; rowKey: string }[];
      jobs.push(() => table.submitTransaction(chunk.map((e): TransactionAction => ['upsert', e, 'Replace'])));
    }
  }
  for (let i = 0; i < jobs.length; i += 8) await Promise.all(jobs.slice(i, i + 8).map((j) => j()));
}
