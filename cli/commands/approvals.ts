// jit approvals / approve / deny: an approver's inbox and decisions.
import { KINDS, paths, type TargetKind } from '../api-paths';
import { type CommonOptions, signedIn } from '../context';
import { CliError, ExitCode } from '../exit-codes';
import type { ApiClient } from '../http-client';
import { table } from '../output';

interface Stage {
  id: string;
  status: string;
  reviewResult?: string | null;
  assignedToMe?: boolean;
}

interface Approval {
  id: string;
  stages: Stage[];
}

/** A request waiting for the caller's decision, as filterByCurrentUser(on='approver') gives it. */
interface Waiting {
  id: string;
  approvalId: string | null;
  justification: string | null;
  ticketInfo?: { ticketNumber?: string | null } | null;
  scheduleInfo?: { expiration?: { duration?: string | null } } | null;
  principal?: { displayName?: string | null } | null;
  roleDefinition?: { displayName?: string | null } | null;
  group?: { displayName?: string | null } | null;
}

export async function approvals(options: CommonOptions): Promise<void> {
  const { client, out } = signedIn(options);
  const inboxes = await Promise.all(
    KINDS.map(async (kind) =>
      (await client.list<Waiting>(paths.awaitingMe(kind))).map((r) => ({ kind, ...r })),
    ),
  );
  // The approval's id is what `jit approve` takes; the request says who asks for what, and why.
  const value = inboxes.flat().map((r) => ({
    id: r.approvalId ?? r.id,
    kind: r.kind,
    requestId: r.id,
    who: r.principal?.displayName ?? null,
    what: (r.kind === 'role' ? r.roleDefinition?.displayName : r.group?.displayName) ?? null,
    justification: r.justification,
    ticket: r.ticketInfo?.ticketNumber ?? null,
    duration: r.scheduleInfo?.expiration?.duration ?? null,
  }));
  out.result({ value }, () => {
    if (!value.length) return 'Nothing waits for your approval.';
    return [
      ...table(
        ['ID', 'WHO', 'ROLE OR GROUP', 'FOR', 'TICKET', 'WHY'],
        value.map((a) => [
          a.id,
          a.who ?? '',
          a.what ?? '',
          a.duration ?? '',
          a.ticket ?? '',
          a.justification ?? '',
        ]),
      ),
      '',
      'Decide with: jit approve <id> --reason "..."  or  jit deny <id> --reason "..."',
    ];
  });
}

function waitingStage(approval: Approval): Stage | undefined {
  return approval.stages.find((s) => s.status === 'InProgress' && s.assignedToMe !== false);
}

/** The approval (of a role's or a group's request) and the stage waiting for the caller. */
async function findApproval(client: ApiClient, id: string): Promise<{ kind: TargetKind; stage: Stage }> {
  for (const kind of KINDS) {
    let approval: Approval;
    try {
      approval = await client.get<Approval>(`${paths.approvals(kind)}/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof CliError && err.exitCode === ExitCode.forbiddenOrNotFound) continue;
      throw err;
    }
    // A stage of someone else's goes to the service all the same: its 403 says why not.
    const stage = waitingStage(approval) ?? approval.stages.find((s) => s.status === 'InProgress');
    if (!stage) {
      throw new CliError(
        `Approval ${id} has no stage waiting for you (it was decided, canceled or expired): jit approvals lists what waits.`,
        ExitCode.refused,
      );
    }
    return { kind, stage };
  }
  throw new CliError(
    `No approval '${id}' is visible to you: jit approvals lists what waits.`,
    ExitCode.forbiddenOrNotFound,
  );
}

export async function decide(
  id: string,
  reviewResult: 'Approve' | 'Deny',
  options: CommonOptions & { reason?: string },
): Promise<void> {
  const { client, out } = signedIn(options);
  const { kind, stage } = await findApproval(client, id);
  await client.patch(
    `${paths.approvals(kind)}/${encodeURIComponent(id)}/stages/${encodeURIComponent(stage.id)}`,
    {
      reviewResult,
      justification: options.reason ?? null,
    },
  );
  out.result({ id, kind, stage: stage.id, reviewResult }, () =>
    reviewResult === 'Approve' ? `Approved ${id}.` : `Denied ${id}.`,
  );
}
