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

export async function approvals(options: CommonOptions): Promise<void> {
  const { client, out } = signedIn(options);
  const inboxes = await Promise.all(
    KINDS.map(async (kind) =>
      (await client.list<Approval>(paths.approvalInbox(kind))).map((a) => ({ kind, ...a })),
    ),
  );
  const value = inboxes.flat().map((a) => ({ ...a, stage: waitingStage(a)?.id ?? null }));
  out.result({ value }, () => {
    if (!value.length) return 'Nothing waits for your approval.';
    return [
      ...table(
        ['ID', 'TYPE', 'STAGE'],
        value.map((a) => [a.id, a.kind === 'role' ? 'role' : 'group', a.stage ?? '']),
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
