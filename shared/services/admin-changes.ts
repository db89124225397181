// The two-person rule for admin changes (issue 19, item 3), generic over the kind of change.
//
// A kind names one service call (PATCH a policy rule, an admin schedule request, add a connector...)
// and is registered next to its route. Every such route calls `submit`:
//   - rule off (the default), a system actor, or a change the kind says is not covered: the call
//     is applied at once, exactly as before;
//   - rule on: the input is validated as far as it can be without applying, and a proposal is
//     stored (202 Accepted); a second admin approves it before it expires, and the proposal is
//     replayed through the same call, as the proposer, re-validated then (a failure is recorded);
//   - a Global Administrator with a break-glass justification applies at once; every admin is
//     mailed and the bypass is kept as an alert (the proposal row with `breakGlassJustification`).
// Crash-atomic: each change of a proposal's state commits with its audit row (and notice) through
// the audit outbox. An approval commits `Approving` first, then applies, then records the outcome;
// the apply is idempotent under the proposal's id, so a crash between is finished by the next
// approve call or by the outbox sweep (`finishStuck`), never applied twice.
import { randomUUID } from 'node:crypto';
import {
  type AdminChangeProposal,
  BreakGlassJustification,
  type ProposalPerson,
  type ProposerActor,
  type SettingsPatch,
  statusAt,
  type TwoPersonSettings,
} from '../domain/admin-changes';
import { addDuration } from '../domain/duration';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../domain/errors';
import { BuiltInRoleId } from '../domain/roles';
import { ROOT_SCOPE } from '../domain/scope';
import { faultPoint } from '../fault';
import type { Notice } from '../notify/notifier';
import { Snapshot } from '../snapshot';
import type { AdminChangeRepository } from '../storage/admin-change-repository';
import { event } from './audit-events';
import type { OperationContext } from './context';
import type { ServiceDeps } from './deps';

/** How a proposal's replay is keyed: the apply must be idempotent under `proposalId`. */
export interface Replay {
  proposalId: string;
  /** An earlier attempt may have applied it already (a crash after `Approving`). */
  resumed: boolean;
}

export interface AdminChangeKind<I = unknown, R = unknown> {
  /** Stored with the proposal; e.g. 'roleManagementPolicyRule.update'. */
  kind: string;
  /** Whether the rule covers this input (e.g. only privileged roles' assignments). Default: yes. */
  covered?(ctx: OperationContext, input: I): Promise<boolean>;
  /**
   * At proposal time: validates what can be checked without applying (400/404 as the call would
   * answer) and describes the change in one line. May return the input to store (secrets sealed).
   */
  propose(
    ctx: OperationContext,
    input: I,
    proposalId: string,
  ): Promise<{ description: string; stored?: unknown }>;
  /** The service call itself. With `replay`, idempotent under the proposal's id. */
  apply(ctx: OperationContext, input: I, replay?: Replay): Promise<R>;
  /** What a proposal shows of its stored input and of the call's result (no secrets). */
  show?(stored: unknown): unknown;
  showResult?(result: R): unknown;
}

export type Submitted<R> = { applied: R } | { proposal: ProposalView };

export interface ProposalView {
  id: string;
  kind: string;
  description: string;
  status: AdminChangeProposal['status'];
  change: unknown;
  proposedBy: ProposalPerson;
  createdDateTime: string;
  expiresDateTime: string;
  decidedBy: ProposalPerson | null;
  decidedDateTime: string | null;
  decisionJustification: string | null;
  appliedDateTime: string | null;
  breakGlassJustification: string | null;
  result: unknown;
  failure: AdminChangeProposal['failure'] | null;
}

type StoredProposal = AdminChangeProposal & { breakGlassJustification?: string };

const person = (ctx: OperationContext): ProposalPerson => {
  if (ctx.actor.kind !== 'user') throw new ForbiddenError();
  return { id: ctx.actor.id, displayName: ctx.actor.displayName };
};

// Kinds register at module load, next to their routes (functions/), before any call.
const KINDS = new Map<string, AdminChangeKind>();

/** Registers a kind of change; its route then calls `submit` with the kind's name. */
export function registerAdminChangeKind<I, R>(kind: AdminChangeKind<I, R>): void {
  KINDS.set(kind.kind, kind as AdminChangeKind);
}

export class AdminChangeService {
  // Every admin call consults the setting: trusted for a few seconds, as connectors are.
  private readonly setting = new Snapshot(async () => (await this.repo.settings()).value);

  constructor(
    private readonly deps: ServiceDeps,
    private readonly repo: AdminChangeRepository,
    /** After a bypass: raise the PIM alert at once (the hourly evaluation would find it too). */
    private readonly onBypass: () => Promise<unknown> = async () => undefined,
  ) {}

  // ---- the setting --------------------------------------------------------------------------

  async settings(ctx: OperationContext): Promise<TwoPersonSettings> {
    await this.deps.access.requireRead(ctx, this.deps.now());
    return (await this.repo.settings()).value;
  }

  /** The setting's own change (itself a kind: turning the rule off needs a second admin too). */
  async patchSettings(ctx: OperationContext, patch: SettingsPatch): Promise<TwoPersonSettings> {
    await this.deps.access.requireManage(ctx, this.deps.now());
    const current = await this.repo.settings();
    const next = { ...current.value, ...patch };
    if (JSON.stringify(next) === JSON.stringify(current.value)) return next;
    await this.repo.commit({
      settings: { value: next, etag: current.etag },
      audits: [
        event(ctx, this.deps.now(), {
          category: 'Policy',
          activityDisplayName: 'Update two-person rule for admin changes',
          operationType: 'Update',
          targets: [
            {
              id: 'adminChangeSettings',
              type: 'Policy',
              displayName: 'Two-person rule',
              modifiedProperties: [
                {
                  displayName: 'settings',
                  oldValue: JSON.stringify(current.value),
                  newValue: JSON.stringify(next),
                },
              ],
            },
          ],
        }),
      ],
    });
    this.setting.forget();
    return next;
  }

  // ---- submit: apply, propose, or bypass -----------------------------------------------------

  async submit<I, R>(
    ctx: OperationContext,
    kindName: string,
    input: I,
    breakGlass?: string,
  ): Promise<Submitted<R>> {
    const kind = this.kindOf(kindName) as AdminChangeKind<I, R>;
    const rule = await this.setting.get();
    if (!rule.twoPersonRuleEnabled || ctx.actor.kind !== 'user') {
      return { applied: await kind.apply(ctx, input) };
    }
    if (kind.covered && !(await kind.covered(ctx, input))) return { applied: await kind.apply(ctx, input) };
    await this.deps.access.requireManage(ctx, this.deps.now());
    if (breakGlass !== undefined) return this.bypass(ctx, kind, input, breakGlass);
    const id = randomUUID();
    const { description, stored } = await kind.propose(ctx, input, id);
    const now = this.deps.now();
    const proposal: StoredProposal = {
      id,
      kind: kind.kind,
      description,
      input: stored ?? input,
      status: 'Pending',
      proposedBy: this.proposer(ctx),
      createdDateTime: now.toISOString(),
      expiresDateTime: addDuration(now, rule.proposalLifetime).toISOString(),
    };
    await this.repo.commit({
      proposals: [{ proposal }],
      audits: [this.audit(ctx, proposal, 'Propose admin change (two-person rule)', 'Add')],
      signals: [this.notice('adminChangeProposed', proposal)],
    });
    return { proposal: this.view(proposal) };
  }

  /** Break-glass: a Global Administrator applies at once; the row is the alert, every admin is mailed. */
  private async bypass<I, R>(
    ctx: OperationContext,
    kind: AdminChangeKind<I, R>,
    input: I,
    justification: string,
  ): Promise<Submitted<R>> {
    const parsed = BreakGlassJustification.safeParse(justification);
    if (!parsed.success)
      throw new ValidationError('A break-glass justification is 10 to 500 characters.', [
        { target: 'x-jit-break-glass-justification', message: 'between 10 and 500 characters' },
      ]);
    if (!(await this.isGlobalAdministrator(ctx)))
      throw new ForbiddenError('Only a Global Administrator can bypass the two-person rule.');
    const id = randomUUID();
    const { description, stored } = await kind.propose(ctx, input, id);
    const now = this.deps.now();
    const proposal: StoredProposal = {
      id,
      kind: kind.kind,
      description,
      input: stored ?? input,
      status: 'Approving',
      proposedBy: this.proposer(ctx),
      createdDateTime: now.toISOString(),
      expiresDateTime: now.toISOString(),
      decidedBy: person(ctx),
      decidedDateTime: now.toISOString(),
      breakGlassJustification: parsed.data,
    };
    // The alert and the mail commit before the change is applied: a bypass is never silent.
    await this.repo.commit({
      proposals: [{ proposal }],
      audits: [this.audit(ctx, proposal, 'Bypass two-person rule (break-glass)', 'Other')],
      signals: [this.notice('adminChangeBypassed', proposal)],
    });
    const done = await this.finish(proposal, await this.etagOf(id), false);
    await this.onBypass().catch((err: unknown) =>
      console.warn('alerts: evaluation after a bypass failed', err),
    );
    if (done.status === 'Failed' && done.failure) {
      throw new AppError(done.failure.status, done.failure.code, done.failure.message);
    }
    return { applied: done.applied as R };
  }

  // ---- reading ------------------------------------------------------------------------------

  async list(ctx: OperationContext): Promise<ProposalView[]> {
    await this.deps.access.requireRead(ctx, this.deps.now());
    return (await this.repo.proposals()).map((p) => this.view(p));
  }

  async get(ctx: OperationContext, id: string): Promise<ProposalView> {
    await this.deps.access.requireRead(ctx, this.deps.now());
    return this.view((await this.read(id)).value);
  }

  /** Bypasses, newest first: what the alerts (issue 18) will route into roleManagementAlerts. */
  async breakGlassAlerts(ctx: OperationContext): Promise<ProposalView[]> {
    return (await this.list(ctx)).filter((p) => p.breakGlassJustification !== null);
  }

  // ---- deciding -----------------------------------------------------------------------------

  async approve(ctx: OperationContext, id: string, justification?: string): Promise<ProposalView> {
    await this.deps.access.requireManage(ctx, this.deps.now());
    const me = person(ctx);
    const { value: p, etag } = await this.read(id);
    const now = this.deps.now();
    if (p.status === 'Approving') {
      // A crash (or a lost answer) after the approval: finish it, under the same rules.
      if (p.proposedBy.id === me.id && !p.breakGlassJustification) throw this.ownProposal();
      return this.view((await this.finish(p, etag, true)).proposal);
    }
    this.requirePending(p, now);
    if (p.proposedBy.id === me.id) throw this.ownProposal();
    const approving: StoredProposal = {
      ...p,
      status: 'Approving',
      decidedBy: me,
      decidedDateTime: now.toISOString(),
      ...(justification ? { decisionJustification: justification } : {}),
    };
    await this.decided({
      proposals: [{ proposal: approving, etag }],
      audits: [this.audit(ctx, approving, 'Approve admin change (two-person rule)', 'Update')],
    });
    faultPoint('proposal:afterApproved');
    return this.view((await this.finish(approving, await this.etagOf(id), false)).proposal);
  }

  async deny(ctx: OperationContext, id: string, justification?: string): Promise<ProposalView> {
    await this.deps.access.requireManage(ctx, this.deps.now());
    const me = person(ctx);
    const { value: p, etag } = await this.read(id);
    const now = this.deps.now();
    this.requirePending(p, now);
    if (p.proposedBy.id === me.id)
      throw new ForbiddenError(
        'The proposer withdraws a proposal (POST .../withdraw); another admin denies it.',
      );
    const denied: StoredProposal = {
      ...p,
      status: 'Denied',
      decidedBy: me,
      decidedDateTime: now.toISOString(),
      ...(justification ? { decisionJustification: justification } : {}),
    };
    await this.decided({
      proposals: [{ proposal: denied, etag }],
      audits: [this.audit(ctx, denied, 'Deny admin change (two-person rule)', 'Update')],
    });
    return this.view(denied);
  }

  async withdraw(ctx: OperationContext, id: string): Promise<ProposalView> {
    await this.deps.access.requireManage(ctx, this.deps.now());
    const me = person(ctx);
    const { value: p, etag } = await this.read(id);
    if (p.proposedBy.id !== me.id)
      throw new ForbiddenError('Only the admin who proposed a change withdraws it.');
    const now = this.deps.now();
    this.requirePending(p, now);
    const withdrawn: StoredProposal = {
      ...p,
      status: 'Withdrawn',
      decidedBy: me,
      decidedDateTime: now.toISOString(),
    };
    await this.decided({
      proposals: [{ proposal: withdrawn, etag }],
      audits: [this.audit(ctx, withdrawn, 'Withdraw admin change proposal (two-person rule)', 'Update')],
    });
    return this.view(withdrawn);
  }

  /**
   * Finishes approvals a crash left `Approving` for longer than `graceMs` (the outbox sweep calls it).
   * Returns how many it finished.
   */
  async finishStuck(graceMs: number): Promise<number> {
    const now = this.deps.now().getTime();
    let finished = 0;
    for (const p of await this.repo.proposals()) {
      if (p.status !== 'Approving' || now - Date.parse(p.decidedDateTime ?? p.createdDateTime) < graceMs)
        continue;
      const stored = await this.repo.proposal(p.id);
      if (stored?.value.status !== 'Approving') continue;
      await this.finish(stored.value, stored.etag ?? '', true);
      finished++;
    }
    return finished;
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Replays the proposal as its proposer, approved by `decidedBy`, and records the outcome. */
  private async finish(
    p: StoredProposal,
    etag: string,
    resumed: boolean,
  ): Promise<{
    proposal: StoredProposal;
    status: string;
    applied?: unknown;
    failure?: StoredProposal['failure'];
  }> {
    const kind = this.kindOf(p.kind);
    const approver = p.decidedBy ?? p.proposedBy;
    const ctx: OperationContext = {
      actor: { kind: 'user', ...p.proposedBy },
      correlationId: p.id,
      adminChange: p.breakGlassJustification
        ? { proposalId: p.id, breakGlassJustification: p.breakGlassJustification }
        : { proposalId: p.id, approvedBy: approver },
    };
    let outcome: StoredProposal;
    let applied: unknown;
    try {
      applied = await kind.apply(ctx, p.input, { proposalId: p.id, resumed });
      outcome = {
        ...p,
        status: 'Applied',
        appliedDateTime: this.deps.now().toISOString(),
        result: kind.showResult ? kind.showResult(applied) : applied,
      };
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err; // not the change's fault: retried
      outcome = {
        ...p,
        status: 'Failed',
        failure: { status: err.status, code: err.code, message: err.message },
      };
    }
    try {
      await this.repo.commit({
        proposals: [{ proposal: outcome, etag }],
        audits: [
          event(ctx, this.deps.now(), {
            ...this.auditInput(outcome, 'Apply admin change (two-person rule)', 'Update'),
            result: outcome.status === 'Applied' ? 'success' : 'failure',
            resultReason: outcome.failure?.message,
          }),
        ],
      });
    } catch (err) {
      // Someone else finished it meanwhile (the sweep, another approve call): theirs stands.
      if (!(err instanceof PreconditionFailedError)) throw err;
      const now = (await this.read(p.id)).value;
      return { proposal: now, status: now.status, applied, failure: now.failure };
    }
    return { proposal: outcome, status: outcome.status, applied, failure: outcome.failure };
  }

  /** A decision's commit: another decision that got there first makes this one a 409, not a 412. */
  private async decided(change: Parameters<AdminChangeRepository['commit']>[0]): Promise<void> {
    try {
      await this.repo.commit(change);
    } catch (err) {
      if (err instanceof PreconditionFailedError)
        throw new ConflictError(
          'The proposal was decided concurrently; read it again.',
          'ProposalNotPending',
        );
      throw err;
    }
  }

  private async isGlobalAdministrator(ctx: OperationContext): Promise<boolean> {
    if (ctx.actor.kind !== 'user') return false;
    const authority = await this.deps.access.authority(ctx.actor.id, this.deps.now());
    return authority.grants.some(
      (g) =>
        g.roleDefinitionId.toLowerCase() === BuiltInRoleId.globalAdministrator &&
        g.directoryScopeId === ROOT_SCOPE,
    );
  }

  private kindOf(name: string): AdminChangeKind {
    const kind = KINDS.get(name);
    if (!kind) throw new Error(`no admin change kind '${name}' is registered`);
    return kind;
  }

  private proposer(ctx: OperationContext): ProposerActor {
    if (ctx.actor.kind !== 'user') throw new ForbiddenError();
    const { id, displayName, mfa, acrs } = ctx.actor;
    return { id, displayName, mfa, ...(acrs ? { acrs } : {}) };
  }

  private async read(id: string): Promise<{ value: StoredProposal; etag: string }> {
    const found = /^[0-9a-f-]{36}$/i.test(id) ? await this.repo.proposal(id.toLowerCase()) : undefined;
    if (!found) throw new NotFoundError(`Proposal '${id}' does not exist.`);
    return { value: found.value, etag: found.etag ?? '' };
  }

  private async etagOf(id: string): Promise<string> {
    return (await this.read(id)).etag;
  }

  private requirePending(p: StoredProposal, now: Date): void {
    const status = statusAt(p, now);
    if (status === 'Expired') throw new ConflictError('The proposal has expired.', 'ProposalExpired');
    if (status !== 'Pending') throw new ConflictError(`The proposal is ${status}.`, 'ProposalNotPending');
  }

  private ownProposal(): ForbiddenError {
    return new ForbiddenError('Nobody approves their own proposal: a second admin must.');
  }

  private auditInput(p: StoredProposal, activity: string, operationType: 'Add' | 'Update' | 'Other') {
    return {
      category: 'Policy' as const,
      activityDisplayName: activity,
      operationType,
      targets: [
        { id: p.id, type: 'AdminChangeProposal', displayName: p.description },
        { id: p.proposedBy.id, type: 'User', displayName: p.proposedBy.displayName },
      ],
      details: {
        ProposalId: p.id,
        Kind: p.kind,
        ProposedById: p.proposedBy.id,
        ProposedBy: p.proposedBy.displayName ?? p.proposedBy.id,
        DecidedById: p.decidedBy?.id,
        DecidedBy: p.decidedBy ? (p.decidedBy.displayName ?? p.decidedBy.id) : undefined,
        Justification: p.decisionJustification,
        BreakGlassJustification: p.breakGlassJustification,
        ExpiresDateTime: p.breakGlassJustification ? undefined : p.expiresDateTime,
      },
    };
  }

  private audit(
    ctx: OperationContext,
    p: StoredProposal,
    activity: string,
    operationType: 'Add' | 'Update' | 'Other',
  ) {
    return event(ctx, this.deps.now(), this.auditInput(p, activity, operationType));
  }

  private notice(event: 'adminChangeProposed' | 'adminChangeBypassed', p: StoredProposal) {
    const notice: Notice = {
      event,
      subjectId: p.id,
      principalId: p.proposedBy.id,
      targetDisplayName: p.description,
      by: p.proposedBy.id,
      at: p.createdDateTime,
      endDateTime: p.expiresDateTime,
      ...(p.breakGlassJustification ? { justification: p.breakGlassJustification } : {}),
    };
    return { kind: 'notice', notice };
  }

  view(p: StoredProposal): ProposalView {
    const kind = KINDS.get(p.kind);
    return {
      id: p.id,
      kind: p.kind,
      description: p.description,
      status: statusAt(p, this.deps.now()),
      change: kind?.show ? kind.show(p.input) : p.input,
      proposedBy: { id: p.proposedBy.id, displayName: p.proposedBy.displayName },
      createdDateTime: p.createdDateTime,
      expiresDateTime: p.expiresDateTime,
      decidedBy: p.decidedBy ?? null,
      decidedDateTime: p.decidedDateTime ?? null,
      decisionJustification: p.decisionJustification ?? null,
      appliedDateTime: p.appliedDateTime ?? null,
      breakGlassJustification: p.breakGlassJustification ?? null,
      result: p.result ?? null,
      failure: p.failure ?? null,
    };
  }
}
