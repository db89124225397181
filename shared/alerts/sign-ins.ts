// The last authenticated call of each principal, for the stale-account alert. Recorded from
// authenticate(), cheaply: at most one write per principal per hour and process (a small in-memory
// map remembers what this process wrote), detached from the call so that it costs the call nothing
// and never fails it. Several instances may each write once an hour: the rows hold the latest time.
import { odata } from '@azure/data-tables';
import { now } from '../clock';
import { tableClient } from '../storage/connection';
import { queryAll } from '../storage/paging';
import { detached } from '../storage/request-count';
import { ensureTable } from '../storage/tables';
import { ALERTS_TABLE } from './store';

const SIGNIN_PK = 'signin';
const EVERY_MS = 3_600_000;
const MAX_REMEMBERED = 100_000;

const written = new Map<string, number>();

/** Notes that `principalId` made an authenticated call now (at most one write an hour). */
export function noteSignIn(principalId: string): void {
  const id = principalId.toLowerCase();
  const at = now().getTime();
  const last = written.get(id);
  if (last !== undefined && at - last < EVERY_MS && at >= last) return;
  if (written.size >= MAX_REMEMBERED) written.clear();
  written.set(id, at);
  const forget = () => written.delete(id); // the next call tries again
  detached(() => {
    try {
      const table = tableClient(ALERTS_TABLE);
      void ensureTable(table)
        .then(() =>
          table.upsertEntity(
            { partitionKey: SIGNIN_PK, rowKey: id, lastSignInDateTime: new Date(at).toISOString() },
            'Replace',
          ),
        )
        .catch(forget);
    } catch {
      forget(); // no storage configured (a unit test of sign-in alone): nothing to record
    }
  });
}

/** Every recorded principal's last authenticated call (one partition). */
export async function lastSignIns(): Promise<Map<string, string>> {
  const rows = await queryAll(
    tableClient(ALERTS_TABLE),
    odata`PartitionKey eq ${SIGNIN_PK}`,
    (r) => [String(r.rowKey), String(r.lastSignInDateTime)] as const,
    1_000_000,
  );
  return new Map(rows);
}

/** Test and bench hook: forget what this process wrote, so the next call writes again. */
export function forgetSignIns(): void {
  written.clear();
}
