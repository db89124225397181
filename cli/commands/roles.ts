// jit roles: what the signed-in person may activate, and what is active now with the time left.
import { KINDS, paths, type TargetKind } from '../api-paths';
import { type CommonOptions, signedIn } from '../context';
import { Directory } from '../directory';
import { formatRemaining } from '../duration';
import { table } from '../output';

interface ScheduleInstance {
  roleDefinitionId?: string;
  groupId?: string;
  accessId?: string;
  memberType?: string;
  assignmentType?: string;
  startDateTime?: string | null;
  endDateTime?: string | null;
}

export interface RoleLine {
  kind: TargetKind;
  id: string;
  displayName: string;
  /** `eligible`, or `active` (activated or assigned). */
  state: 'eligible' | 'active';
  assignmentType: string | null;
  memberType: string | null;
  accessId: string | null;
  startDateTime: string | null;
  endDateTime: string | null;
  /** Milliseconds left on an active one by the service's clock; null when it does not end. */
  remainingMs: number | null;
}

export async function roles(options: CommonOptions): Promise<void> {
  const { client, out } = signedIn(options);
  const directory = new Directory(client);
  const lists = await Promise.all(
    KINDS.flatMap((kind) => [
      client
        .list<ScheduleInstance>(paths.myEligibilities(kind))
        .then((items) => ({ kind, items, active: false })),
      client
        .list<ScheduleInstance>(paths.myAssignments(kind))
        .then((items) => ({ kind, items, active: true })),
    ]),
  );
  const now = (await client.now()).getTime();
  const lines: RoleLine[] = [];
  for (const { kind, items, active } of lists) {
    for (const item of items) {
      const id = (kind === 'role' ? item.roleDefinitionId : item.groupId) ?? '';
      const end = item.endDateTime ?? null;
      lines.push({
        kind,
        id,
        displayName: await directory.nameOf(kind, id),
        state: active ? 'active' : 'eligible',
        assignmentType: item.assignmentType ?? null,
        memberType: item.memberType ?? null,
        accessId: item.accessId ?? null,
        startDateTime: item.startDateTime ?? null,
        endDateTime: end,
        remainingMs: active && end ? Math.max(0, Date.parse(end) - now) : null,
      });
    }
  }
  out.result({ value: lines }, () => {
    if (!lines.length) return 'Nothing eligible or active.';
    return table(
      ['NAME', 'TYPE', 'STATE', 'ENDS', 'LEFT'],
      lines.map((l) => [
        l.displayName,
        l.kind === 'role' ? 'role' : `group ${l.accessId ?? 'member'}`,
        l.state === 'active'
          ? `active${l.assignmentType ? ` (${l.assignmentType.toLowerCase()})` : ''}`
          : 'eligible',
        l.endDateTime ?? 'never',
        l.remainingMs === null ? '' : formatRemaining(l.remainingMs),
      ]),
    );
  });
}
