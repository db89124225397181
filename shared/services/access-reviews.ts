// Access reviews: admins define what is reviewed, by whom and how often; each instance asks its
// reviewers to approve or deny each assignment in scope, and at its end the denied ones are removed
// (automatically, or when an admin applies the decisions). Commands commit their rows, their audit
// row (category AccessReview) and their signal to the instance's orchestration in one transaction
// (shared/storage/access-review-store.ts). The orchestration's steps are idempotent, so a step re-run
// after a crash neither repeats nor loses a decision or a removal.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { DirectoryAudit, TargetResource } from '../audit/directory-audit';
import type { OutboxSignal } from '../audit/outbox';
import {
  cadenceDays,
  cadenceOf,
  type DecisionItem,
  decisionIdOf,
  defaultDecisionFor,
  firstStartOf,
  instanceEnd,
  instanceIdOf,
  isSelfReview,
  occurrenceStart,
  type Recommendation,
  type ResolvedScope,
  type ReviewDefinition,
  ReviewDefinitionInput,
  ReviewerDecision,
  type ReviewInstance,
  recommend,
  resolveReviewer,
  resolveScope,
  ScopeError,
} from '../domain/access-reviews';
import { AppError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import { builtInRole } from '../domain/roles';
import { isCurrentOrFuture, type ScheduleLevel, type ScheduleRecord, type Target } from '../domain/schedules';
import { faultPoint } from '../fault';
import { mailReviewer } from '../notify/review-mails';
import type { ReviewWrite, Versioned } from '../storage/access-review-store';
import { allPages } from './access';
import { event, principalResource } from './audit-events';
import { createdByOf, type OperationContext, systemContext } from './context';
import type { ServiceDeps } from './deps';
import type { GroupService } from './groups';
import { withRetry } from './retry';
import type { ScheduleRequestService } from './schedule-requests';
import { parseInput } from './validation';

/** What the review orchestration is told through the outbox. */
export type ReviewSignal =
  | { kind: 'startReview'; input: ReviewRunInput }
  | { kind: 'stopReview'; instanceId: string; at: string }
  | { kind: 'applyReview'; definitionId: string; instanceId: string };

export interface ReviewRunInput {
  definitionId: string;
  instanceId: string;
  startDateTime: string;
  endDateTime: string;
}

export const REVIEW_ORCHESTRATOR = 'review-instance';
export const REVIEW_APPLY_ORCHESTRATOR = 'review-apply';
export const REVIEW_STOP_EVENT = 'ReviewStopped';

const MAX_WRITES = 98;
const SYSTEM = systemContext('Access reviews');

const noDefinition = (id: string) => new NotFoundError(`No access review definition with id '${id}'.`);
const noInstance = (id: string) => new NotFoundError(`No access review instance with id '${id}'.`);
const noDecision = (id: string) => new NotFoundError(`No decision item with id '${id}'.`);

const chunks = <T>(list: readonly T[], size = MAX_WRITES): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
};

const asSignals = (s: ReviewSignal[]) => s as unknown as OutboxSignal[];

export class AccessReviewService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly requests: ScheduleRequestService,
    private readonly groups: GroupService,
  ) {}

  private get store() {
    return this.deps.stores.reviews;
  }

  // ---- definitions (admins) ---------------------------------------------------------------------

  /** Checks a new definition without storing it (a proposal under the two-person rule); its name. */
  async checkNewDefinition(ctx: OperationContext, body: unknown): Promise<string> {
    await this.deps.access.requireManage(ctx, this.deps.now());
    const input = parseInput(ReviewDefinitionInput, body);
    await this.checkDefinition(input);
    return input.displayName;
  }

  /** `options.id`: a replayed proposal creates under its own id, once. */
  async createDefinition(
    ctx: OperationContext,
    body: unknown,
    options: { id?: string } = {},
  ): Promise<ReviewDefinition> {
    const now = this.deps.now();
    await this.deps.access.requireManage(ctx, now);
    if (options.id) {
      const existing = await this.store.definition(options.id);
      if (existing) return existing.value;
    }
    const input = parseInput(ReviewDefinitionInput, body);
    const scope = await this.checkDefinition(input);
    const first = firstStartOf(input.settings, now);
    const by = createdByOf(ctx).user;
    const definition: ReviewDefinition = {
      id: options.id ?? randomUUID(),
      displayName: input.displayName,
      descriptionForAdmins: input.descriptionForAdmins ?? null,
      descriptionForReviewers: input.descriptionForReviewers ?? null,
      scope: input.scope,
      reviewers: input.reviewers,
      fallbackReviewers: input.fallbackReviewers,
      settings: input.settings,
      createdBy: { id: by.id, displayName: by.displayName },
      createdDateTime: now.toISOString(),
      lastModifiedDateTime: now.toISOString(),
      firstStartDateTime: first.toISOString(),
      instanceCount: 1,
      status: 'NotStarted',
    };
    const instance = this.newInstance(definition, 0, first);
    await this.store.commit(
      [
        { op: 'insert', row: { kind: 'definition', value: definition } },
        { op: 'insert', row: { kind: 'instance', value: instance } },
      ],
      [
        this.audit(ctx, now, 'Create access review', 'Add', definition, await this.scopeTarget(scope), {
          Scope: JSON.stringify(input.scope),
          Reviewers: isSelfReview(definition)
            ? 'self-review'
            : input.reviewers.map((r) => r.query).join(', '),
          Recurrence: input.settings.recurrence?.pattern
            ? JSON.stringify(input.settings.recurrence)
            : 'one-time',
        }),
      ],
      asSignals([{ kind: 'startReview', input: runInput(instance) }]),
    );
    return definition;
  }

  async listDefinitions(ctx: OperationContext): Promise<ReviewDefinition[]> {
    await this.deps.access.requireRead(ctx, this.deps.now());
    return (await this.store.definitions()).map((d) => d.value);
  }

  /** Definitions with an instance the caller reviews something in. */
  async definitionsForReviewer(ctx: OperationContext): Promise<ReviewDefinition[]> {
    const me = callerId(ctx);
    const all = await this.store.definitions();
    const mine: ReviewDefinition[] = [];
    for (const d of all) {
      const instances = await this.store.instances(d.value.id);
      if (instances.some((i) => i.value.reviewerIds.includes(me))) mine.push(d.value);
    }
    return mine;
  }

  /** Admins and readers see every definition; a reviewer the ones they review in; others 404. */
  async definition(ctx: OperationContext, id: string): Promise<ReviewDefinition> {
    const d = await this.store.definition(id);
    if (!d) throw noDefinition(id);
    if (await this.isReader(ctx)) return d.value;
    const instances = await this.store.instances(id);
    if (instances.some((i) => i.value.reviewerIds.includes(callerId(ctx)))) return d.value;
    throw noDefinition(id);
  }

  /** PUT/PATCH: names, descriptions, reviewers and settings; the scope stays (as in Graph). */
  async updateDefinition(ctx: OperationContext, id: string, body: unknown): Promise<ReviewDefinition> {
    await this.deps.access.requireManage(ctx, this.deps.now());
    return withRetry(async () => {
      const now = this.deps.now();
      const current = await this.store.definition(id);
      if (!current) throw noDefinition(id);
      const before = current.value;
      const changes = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
      if ('scope' in changes && JSON.stringify(changes.scope) !== JSON.stringify(before.scope)) {
        throw new ValidationError("An access review's scope cannot be changed; create a new review.", [
          { target: 'scope', message: 'read-only after creation' },
        ]);
      }
      const merged = {
        displayName: before.displayName,
        descriptionForAdmins: before.descriptionForAdmins,
        descriptionForReviewers: before.descriptionForReviewers,
        scope: before.scope,
        reviewers: before.reviewers,
        fallbackReviewers: before.fallbackReviewers,
        ...Object.fromEntries(
          Object.entries(changes).filter(
            ([k]) =>
              ![
                'id',
                'createdBy',
                'createdDateTime',
                'lastModifiedDateTime',
                'status',
                '@odata.context',
              ].includes(k),
          ),
        ),
        settings: { ...before.settings, ...((changes.settings as object | undefined) ?? {}) },
      };
      const input = parseInput(ReviewDefinitionInput, merged);
      const scope = await this.checkDefinition(input);
      const after: ReviewDefinition = {
        ...before,
        displayName: input.displayName,
        descriptionForAdmins: input.descriptionForAdmins ?? null,
        descriptionForReviewers: input.descriptionForReviewers ?? null,
        reviewers: input.reviewers,
        fallbackReviewers: input.fallbackReviewers,
        settings: input.settings,
        lastModifiedDateTime: now.toISOString(),
      };
      await this.store.commit(
        [{ op: 'replace', row: { kind: 'definition', value: after }, etag: current.etag }],
        [this.audit(ctx, now, 'Update access review', 'Update', after, await this.scopeTarget(scope))],
      );
      return after;
    });
  }

  /** Deletes the definition and its instances; a running instance ends without applying anything. */
  async deleteDefinition(ctx: OperationContext, id: string): Promise<void> {
    await this.deps.access.requireManage(ctx, this.deps.now());
    const now = this.deps.now();
    const current = await this.store.definition(id);
    if (!current) throw noDefinition(id);
    const instances = await this.store.instances(id);
    const running = instances.filter(
      (i) => i.value.status === 'NotStarted' || i.value.status === 'InProgress',
    );
    await this.store.commit(
      [
        { op: 'delete', row: { kind: 'definition', value: current.value } },
        ...instances
          .slice(0, MAX_WRITES - 1)
          .map((i): ReviewWrite => ({ op: 'delete', row: { kind: 'instance', value: i.value } })),
      ],
      [
        this.audit(ctx, now, 'Delete access review', 'Delete', current.value, undefined, {
          Instances: String(instances.length),
        }),
      ],
      asSignals(running.map((i) => ({ kind: 'stopReview', instanceId: i.value.id, at: now.toISOString() }))),
    );
    // Decision items of ended instances: nothing reaches them any more; tidy them away.
    for (const i of instances) {
      const items = await this.store.decisions(i.value.id);
      await this.store.deleteAll(items.map((x) => ({ kind: 'decision', value: x.value })));
    }
  }

  // ---- instances --------------------------------------------------------------------------------

  async instances(
    ctx: OperationContext,
    definitionId: string,
  ): Promise<{ definition: ReviewDefinition; instances: ReviewInstance[] }> {
    const definition = await this.definition(ctx, definitionId);
    const all = (await this.store.instances(definitionId)).map((i) => i.value);
    const visible = (await this.isReader(ctx))
      ? all
      : all.filter((i) => i.reviewerIds.includes(callerId(ctx)));
    return { definition, instances: visible };
  }

  async instancesForReviewer(
    ctx: OperationContext,
    definitionId: string,
  ): Promise<{ definition: ReviewDefinition; instances: ReviewInstance[] }> {
    const d = await this.store.definition(definitionId);
    if (!d) throw noDefinition(definitionId);
    const me = callerId(ctx);
    const mine = (await this.store.instances(definitionId))
      .map((i) => i.value)
      .filter((i) => i.reviewerIds.includes(me));
    return { definition: d.value, instances: mine };
  }

  async instance(
    ctx: OperationContext,
    definitionId: string,
    instanceId: string,
  ): Promise<{ definition: ReviewDefinition; instance: ReviewInstance }> {
    const d = await this.store.definition(definitionId);
    const i = d ? await this.store.instance(definitionId, instanceId) : undefined;
    if (!d || !i) throw noInstance(instanceId);
    if (!(await this.isReader(ctx)) && !i.value.reviewerIds.includes(callerId(ctx)))
      throw noInstance(instanceId);
    return { definition: d.value, instance: i.value };
  }

  /** Ends a running instance now: reviewers can no longer decide; the end's steps follow. */
  async stop(ctx: OperationContext, definitionId: string, instanceId: string): Promise<void> {
    await this.deps.access.requireManage(ctx, this.deps.now());
    await withRetry(async () => {
      const now = this.deps.now();
      const d = await this.store.definition(definitionId);
      const i = d ? await this.store.instance(definitionId, instanceId) : undefined;
      if (!d || !i) throw noInstance(instanceId);
      if (!isOpen(i.value, now)) {
        throw new ConflictError(
          `The instance is ${i.value.status}; only a running instance can be stopped.`,
          'InstanceNotInProgress',
        );
      }
      const stopped: ReviewInstance = { ...i.value, stoppedDateTime: now.toISOString() };
      await this.store.commit(
        [{ op: 'replace', row: { kind: 'instance', value: stopped }, etag: i.etag }],
        [
          this.audit(ctx, now, 'Stop access review instance', 'Update', d.value, undefined, {
            InstanceId: instanceId,
          }),
        ],
        asSignals([{ kind: 'stopReview', instanceId, at: now.toISOString() }]),
      );
    });
  }

  // ---- decisions ---------------------------------------------------------------------------------

  /** Every item of an instance: admins only. */
  async decisions(ctx: OperationContext, definitionId: string, instanceId: string): Promise<DecisionItem[]> {
    await this.deps.access.requireManage(ctx, this.deps.now());
    await this.existing(definitionId, instanceId);
    return (await this.store.decisions(instanceId)).map((x) => x.value);
  }

  /** The items the caller is asked to decide. */
  async decisionsForReviewer(
    ctx: OperationContext,
    definitionId: string,
    instanceId: string,
  ): Promise<DecisionItem[]> {
    await this.existing(definitionId, instanceId);
    const me = callerId(ctx);
    return (await this.store.decisions(instanceId))
      .map((x) => x.value)
      .filter((x) => x.reviewerIds.includes(me));
  }

  async decision(
    ctx: OperationContext,
    definitionId: string,
    instanceId: string,
    id: string,
  ): Promise<DecisionItem> {
    await this.existing(definitionId, instanceId);
    const x = await this.store.decision(instanceId, id);
    if (!x) throw noDecision(id);
    if (x.value.reviewerIds.includes(callerId(ctx)) || (await this.isManager(ctx))) return x.value;
    throw noDecision(id);
  }

  /** PATCH decisions/{id}: {decision: Approve|Deny|DontKnow, justification}. */
  async recordDecision(
    ctx: OperationContext,
    definitionId: string,
    instanceId: string,
    id: string,
    body: unknown,
  ): Promise<DecisionItem> {
    const input = parseInput(DecisionInput, body);
    return withRetry(async () => {
      const now = this.deps.now();
      const { definition, instance } = await this.openFor(definitionId, instanceId, now);
      const x = await this.store.decision(instanceId, id);
      if (!x) throw noDecision(id);
      this.requireReviewer(ctx, x.value, definition);
      checkJustification(definition, input.decision, input.justification);
      const decided = reviewed(ctx, x.value, input.decision, input.justification ?? null, now);
      await this.store.commit(
        [
          { op: 'replace', row: { kind: 'decision', value: decided }, etag: x.etag },
          { op: 'replace', row: { kind: 'instance', value: instance.value }, etag: instance.etag },
        ],
        [this.decisionAudit(ctx, now, definition, [decided])],
      );
      return decided;
    });
  }

  /** batchRecordDecisions: one decision for all the caller's items (optionally of one principal or resource). */
  async batchRecord(
    ctx: OperationContext,
    definitionId: string,
    instanceId: string,
    body: unknown,
  ): Promise<number> {
    const input = parseInput(BatchInput, body);
    const me = callerId(ctx);
    let count = 0;
    await withRetry(async () => {
      const now = this.deps.now();
      const { definition, instance } = await this.openFor(definitionId, instanceId, now);
      checkJustification(definition, input.decision, input.justification);
      const mine = (await this.store.decisions(instanceId)).filter(
        (x) =>
          x.value.reviewerIds.includes(me) &&
          (!input.principalId || x.value.principal.id === input.principalId.toLowerCase()) &&
          (!input.resourceId || x.value.resource.id === input.resourceId.toLowerCase()),
      );
      if (mine.length === 0) throw new NotFoundError('No decision items of yours match.');
      await this.rewriteItems(
        instance,
        mine.map((x) => ({
          before: x,
          after: reviewed(ctx, x.value, input.decision, input.justification ?? null, now),
        })),
        (decided) => this.decisionAudit(ctx, now, definition, decided),
      );
      count = mine.length;
    });
    return count;
  }

  /** resetDecisions: admins reset every item, a reviewer their own; all back to NotReviewed. */
  async resetDecisions(ctx: OperationContext, definitionId: string, instanceId: string): Promise<void> {
    const manager = await this.isManager(ctx);
    const me = callerId(ctx);
    await withRetry(async () => {
      const now = this.deps.now();
      const { definition, instance } = await this.openFor(definitionId, instanceId, now);
      const all = await this.store.decisions(instanceId);
      if (!manager && !all.some((x) => x.value.reviewerIds.includes(me))) {
        throw new ForbiddenError('Only the instance’s reviewers and admins may reset its decisions.');
      }
      const items = all.filter(
        (x) => x.value.decision !== 'NotReviewed' && (manager || x.value.reviewerIds.includes(me)),
      );
      await this.rewriteItems(
        instance,
        items.map((x) => ({
          before: x,
          after: {
            ...x.value,
            decision: 'NotReviewed',
            justification: null,
            reviewedBy: null,
            reviewedDateTime: null,
          },
        })),
        (reset) =>
          this.audit(ctx, now, 'Reset access review decisions', 'Update', definition, undefined, {
            InstanceId: instanceId,
            Items: String(reset.length),
          }),
      );
    });
  }

  /** applyDecisions (admins): after the end, when auto-apply is off, removes what was denied. */
  async applyDecisions(ctx: OperationContext, definitionId: string, instanceId: string): Promise<void> {
    await this.deps.access.requireManage(ctx, this.deps.now());
    await withRetry(async () => {
      const now = this.deps.now();
      const d = await this.store.definition(definitionId);
      const i = d ? await this.store.instance(definitionId, instanceId) : undefined;
      if (!d || !i) throw noInstance(instanceId);
      if (i.value.status !== 'Completed') {
        throw new ConflictError(
          i.value.status === 'Applying' || i.value.status === 'Applied'
            ? 'The decisions are applied already.'
            : 'Decisions are applied once the instance has ended.',
          'InstanceNotCompleted',
        );
      }
      await this.store.commit(
        [
          {
            op: 'replace',
            row: { kind: 'instance', value: { ...i.value, status: 'Applying' } },
            etag: i.etag,
          },
        ],
        [
          this.audit(ctx, now, 'Apply access review decisions', 'Update', d.value, undefined, {
            InstanceId: instanceId,
          }),
        ],
        asSignals([{ kind: 'applyReview', definitionId, instanceId }]),
      );
    });
  }

  // ---- the orchestration's steps (the system) --------------------------------------------------

  /**
   * The instance starts: one decision item per assignment in scope, each with its reviewers and
   * recommendation; then the instance opens. Items are written before the instance opens, so a
   * re-run rewrites the same items (ids are derived) and nobody has decided anything yet.
   */
  async openInstance(input: ReviewRunInput): Promise<{ open: boolean; reviewerIds: string[] }> {
    const d = await this.store.definition(input.definitionId);
    const i = d ? await this.store.instance(input.definitionId, input.instanceId) : undefined;
    if (!d || !i) return { open: false, reviewerIds: [] };
    if (i.value.status !== 'NotStarted')
      return { open: i.value.status === 'InProgress', reviewerIds: i.value.reviewerIds };
    const now = this.deps.now();
    const definition = d.value;
    const items = await this.itemsInScope(definition, i.value, now);
    await this.store.write(items.map((x) => ({ op: 'upsert', row: { kind: 'decision', value: x } })));
    const reviewerIds = [...new Set(items.flatMap((x) => x.reviewerIds))];
    await withRetry(async () => {
      const fresh = await this.store.instance(input.definitionId, input.instanceId);
      const def = await this.store.definition(input.definitionId);
      if (!fresh || !def || fresh.value.status !== 'NotStarted') return;
      await this.store.commit(
        [
          {
            op: 'replace',
            row: { kind: 'instance', value: { ...fresh.value, status: 'InProgress', reviewerIds } },
            etag: fresh.etag,
          },
          {
            op: 'replace',
            row: { kind: 'definition', value: { ...def.value, status: 'InProgress' } },
            etag: def.etag,
          },
        ],
        [
          this.audit(SYSTEM, now, 'Access review instance started', 'Other', def.value, undefined, {
            InstanceId: input.instanceId,
            Items: String(items.length),
            Reviewers: String(reviewerIds.length),
            EndDateTime: fresh.value.endDateTime,
          }),
        ],
      );
    });
    return { open: true, reviewerIds };
  }

  /** Mails each reviewer who still has undecided items (start: everyone asked). */
  async notifyReviewers(input: ReviewRunInput, kind: 'started' | 'reminder'): Promise<number> {
    const d = await this.store.definition(input.definitionId);
    const i = d ? await this.store.instance(input.definitionId, input.instanceId) : undefined;
    if (!d || !i || !isOpen(i.value, this.deps.now())) return 0;
    const s = d.value.settings;
    if (!s.mailNotificationsEnabled || (kind === 'reminder' && !s.reminderNotificationsEnabled)) return 0;
    const pending = new Map<string, number>();
    for (const x of await this.store.decisions(input.instanceId)) {
      if (kind === 'reminder' && x.value.decision !== 'NotReviewed') continue;
      for (const r of x.value.reviewerIds) pending.set(r, (pending.get(r) ?? 0) + 1);
    }
    let sent = 0;
    for (const [reviewerId, count] of pending) {
      const ok = await mailReviewer(reviewerId, {
        kind,
        definitionId: d.value.id,
        instanceId: i.value.id,
        reviewName: d.value.displayName,
        descriptionForReviewers: d.value.descriptionForReviewers,
        endDateTime: i.value.endDateTime,
        pending: count,
      });
      if (ok) sent++;
    }
    return sent;
  }

  /**
   * The end (its time, or a stop): undecided items get the default decision, the instance is
   * Completed (Applying when decisions apply themselves). Returns whether to apply now.
   */
  async closeInstance(input: ReviewRunInput): Promise<{ apply: boolean }> {
    const d = await this.store.definition(input.definitionId);
    if (!d) {
      // Deleted meanwhile: its items go, nothing is applied.
      const items = await this.store.decisions(input.instanceId);
      await this.store.deleteAll(items.map((x) => ({ kind: 'decision', value: x.value })));
      return { apply: false };
    }
    const settings = d.value.settings;
    let apply = false;
    await withRetry(async () => {
      const now = this.deps.now();
      const i = await this.store.instance(input.definitionId, input.instanceId);
      if (!i) return;
      if (i.value.status !== 'InProgress' && i.value.status !== 'NotStarted') {
        apply = i.value.status === 'Applying';
        return;
      }
      // Stopped early: the reviewers' time was cut short, so nobody's silence counts as a decision
      // (an admin cannot turn a stop into removals); only what reviewers decided applies.
      const stoppedEarly =
        i.value.stoppedDateTime !== null &&
        Date.parse(i.value.stoppedDateTime) < Date.parse(i.value.endDateTime);
      const undecided = stoppedEarly
        ? []
        : (await this.store.decisions(input.instanceId)).filter((x) => x.value.decision === 'NotReviewed');
      const defaulted = undecided
        .map((x) => ({ x, decision: defaultDecisionFor(settings, x.value.recommendation) }))
        .filter(
          (e): e is { x: Versioned<DecisionItem>; decision: 'Approve' | 'Deny' } => e.decision !== undefined,
        );
      const parts = chunks(defaulted);
      // Every part but the last first, each with its audit row; the last commits with the end.
      for (const part of parts.slice(0, -1)) {
        await this.store.commit(
          part.map((e) => ({
            op: 'replace',
            row: { kind: 'decision', value: autoReviewed(e.x.value, e.decision, now) },
            etag: e.x.etag,
          })),
          [
            this.audit(SYSTEM, now, 'Access review default decisions', 'Update', d.value, undefined, {
              InstanceId: input.instanceId,
              Items: String(part.length),
            }),
          ],
        );
      }
      const last = parts.at(-1) ?? [];
      apply = settings.autoApplyDecisionsEnabled;
      const ended: ReviewInstance = { ...i.value, status: apply ? 'Applying' : 'Completed' };
      await this.store.commit(
        [
          ...last.map(
            (e): ReviewWrite => ({
              op: 'replace',
              row: { kind: 'decision', value: autoReviewed(e.x.value, e.decision, now) },
              etag: e.x.etag,
            }),
          ),
          { op: 'replace', row: { kind: 'instance', value: ended }, etag: i.etag },
        ],
        [
          this.audit(SYSTEM, now, 'Access review instance ended', 'Other', d.value, undefined, {
            InstanceId: input.instanceId,
            Stopped: i.value.stoppedDateTime ? 'true' : 'false',
            DefaultDecisions: String(defaulted.length),
            AutoApply: String(apply),
          }),
        ],
      );
    });
    return { apply };
  }

  /**
   * Removes each denied assignment through the schedule service (audited there, reaching the grant
   * connectors, under the last-administrator rule) and records the outcome on its item. The removal
   * carries the item's id as its request id: after a crash between the removal and the record, the
   * re-run finds the removal's request row and records success, and removes nothing twice.
   */
  async applyInstance(definitionId: string, instanceId: string): Promise<number> {
    const d = await this.store.definition(definitionId);
    if (!d) return 0;
    let removed = 0;
    for (const x of await this.store.decisions(instanceId)) {
      if (x.value.decision !== 'Deny' || x.value.applyResult !== 'New') continue;
      const outcome = await this.remove(d.value, x.value);
      // Crash tests stop here: removed, not yet recorded (the re-run must not remove twice).
      faultPoint('review:afterRemoval');
      if (outcome.result === 'AppliedSuccessfully') removed++;
      const now = this.deps.now();
      await this.store.write([
        {
          op: 'replace',
          row: {
            kind: 'decision',
            value: {
              ...x.value,
              applyResult: outcome.result,
              applyResultDetail: outcome.detail,
              appliedBy: { id: 'system', displayName: 'Access reviews' },
              appliedDateTime: now.toISOString(),
            },
          },
          etag: x.etag,
        },
      ]);
    }
    await withRetry(async () => {
      const i = await this.store.instance(definitionId, instanceId);
      if (!i || i.value.status === 'Applied') return;
      const now = this.deps.now();
      await this.store.commit(
        [
          {
            op: 'replace',
            row: { kind: 'instance', value: { ...i.value, status: 'Applied' } },
            etag: i.etag,
          },
        ],
        [
          this.audit(SYSTEM, now, 'Access review decisions applied', 'Other', d.value, undefined, {
            InstanceId: instanceId,
            Removed: String(removed),
          }),
        ],
      );
    });
    return removed;
  }

  /** After an instance: the next occurrence, if the recurrence has one (started once: ids are derived). */
  async startNext(definitionId: string, instanceId: string): Promise<ReviewRunInput | null> {
    return withRetry(async () => {
      const now = this.deps.now();
      const d = await this.store.definition(definitionId);
      const i = d ? await this.store.instance(definitionId, instanceId) : undefined;
      if (!d || !i) return null;
      const n = i.value.occurrence + 1;
      const existing = await this.store.instance(definitionId, instanceIdOf(definitionId, n));
      if (existing) return runInput(existing.value);
      const start = occurrenceStart(d.value.settings, new Date(d.value.firstStartDateTime), n);
      if (!start) {
        if (d.value.status !== 'Completed') {
          await this.store.commit(
            [
              {
                op: 'replace',
                row: { kind: 'definition', value: { ...d.value, status: 'Completed' } },
                etag: d.etag,
              },
            ],
            [
              this.audit(SYSTEM, now, 'Access review completed', 'Other', d.value, undefined, {
                Instances: String(n),
              }),
            ],
          );
        }
        return null;
      }
      const next = this.newInstance(d.value, n, start);
      await this.store.commit(
        [
          { op: 'insert', row: { kind: 'instance', value: next } },
          {
            op: 'replace',
            row: { kind: 'definition', value: { ...d.value, instanceCount: n + 1 } },
            etag: d.etag,
          },
        ],
        [
          this.audit(SYSTEM, now, 'Access review instance scheduled', 'Other', d.value, undefined, {
            InstanceId: next.id,
            StartDateTime: next.startDateTime,
          }),
        ],
        asSignals([{ kind: 'startReview', input: runInput(next) }]),
      );
      return runInput(next);
    });
  }

  // ---- helpers ------------------------------------------------------------------------------------

  private newInstance(d: ReviewDefinition, occurrence: number, start: Date): ReviewInstance {
    return {
      id: instanceIdOf(d.id, occurrence),
      definitionId: d.id,
      occurrence,
      startDateTime: start.toISOString(),
      endDateTime: instanceEnd(d.settings, start).toISOString(),
      status: 'NotStarted',
      reviewerIds: [],
      stoppedDateTime: null,
    };
  }

  /** The scope resolves, names an existing role or group, and the settings hang together. */
  private async checkDefinition(input: ReviewDefinitionInput): Promise<ResolvedScope> {
    let scope: ResolvedScope;
    try {
      scope = resolveScope(input.scope);
      for (const r of [...input.reviewers, ...input.fallbackReviewers]) resolveReviewer(r);
    } catch (err) {
      if (err instanceof ScopeError)
        throw new ValidationError(err.message, [{ target: 'scope', message: err.message }]);
      throw err;
    }
    const r = scope.resource;
    const exists =
      r.kind === 'role'
        ? Boolean(
            builtInRole(r.roleDefinitionId) ??
              (await this.deps.stores.roleManagement.roleDefinition(r.roleDefinitionId)),
          )
        : Boolean(await this.deps.stores.roleManagement.group(r.groupId));
    if (!exists) {
      throw new ValidationError(
        `The scope names a ${r.kind === 'role' ? 'role' : 'group'} that does not exist.`,
        [{ target: 'scope', message: 'no such role or group' }],
      );
    }
    const s = input.settings;
    if (s.defaultDecisionEnabled && !s.defaultDecision) {
      throw new ValidationError(
        'defaultDecisionEnabled needs a defaultDecision (Approve, Deny or Recommendation).',
        [{ target: 'settings.defaultDecision', message: 'required when defaultDecisionEnabled' }],
      );
    }
    try {
      const cadence = cadenceOf(s);
      if (cadence && s.instanceDurationInDays > cadenceDays(cadence)) {
        throw new ScopeError(
          `instanceDurationInDays must be at most ${cadenceDays(cadence)} for this recurrence.`,
        );
      }
    } catch (err) {
      if (err instanceof ScopeError)
        throw new ValidationError(err.message, [{ target: 'settings.recurrence', message: err.message }]);
      throw err;
    }
    return scope;
  }

  private async itemsInScope(
    d: ReviewDefinition,
    instance: ReviewInstance,
    now: Date,
  ): Promise<DecisionItem[]> {
    const scope = resolveScope(d.scope);
    const r = scope.resource;
    const resource =
      r.kind === 'role'
        ? { kind: 'role' as const, id: r.roleDefinitionId }
        : { kind: 'group' as const, id: r.groupId };
    const schedules: ScheduleRecord[] = [];
    for (const level of scope.levels) {
      const rows = await this.deps.stores.roleManagement.schedules(resource, level, { notEndedAt: now });
      schedules.push(
        ...rows
          .map((x) => x.value)
          .filter(
            (s) =>
              isCurrentOrFuture(s, now) &&
              (s.target.kind !== 'group' || scope.accessIds.includes(s.target.accessId)),
          ),
      );
    }
    const named = await this.reviewerIds(d.reviewers);
    const fallback = await this.reviewerIds(d.fallbackReviewers);
    const lastActivation = d.settings.recommendationsEnabled
      ? await this.lastActivations(resource)
      : new Map<string, Date>();
    const resourceTarget = await this.scopeTarget(scope);
    const items: DecisionItem[] = [];
    for (const s of schedules) {
      const principal = await principalResource(this.deps.stores, s.principalId);
      const type = principal.type === 'Group' ? 'group' : 'user';
      if (!scope.principalTypes.includes(type)) continue;
      const reviewers = this.reviewersOf(d, s.principalId, type, named, fallback);
      const recommendation: Recommendation = d.settings.recommendationsEnabled
        ? recommend(s.level, lastActivation.get(s.principalId), new Date(s.createdDateTime), now)
        : 'NotAvailable';
      items.push({
        id: decisionIdOf(instance.id, s.id),
        instanceId: instance.id,
        definitionId: d.id,
        principal: { id: s.principalId, displayName: principal.displayName ?? null, type },
        resource: {
          id: resource.id,
          displayName: resourceTarget?.displayName ?? null,
          type: r.kind === 'role' ? 'directoryRole' : 'group',
        },
        level: s.level,
        target: s.target,
        scheduleId: s.id,
        reviewerIds: reviewers,
        decision: 'NotReviewed',
        justification: null,
        reviewedBy: null,
        reviewedDateTime: null,
        recommendation,
        applyResult: 'New',
        applyResultDetail: null,
        appliedBy: null,
        appliedDateTime: null,
      });
    }
    return items;
  }

  /** Self-review: the principal (a group cannot review itself: the fallback). Others: never their own item. */
  private reviewersOf(
    d: ReviewDefinition,
    principalId: string,
    type: 'user' | 'group',
    named: string[],
    fallback: string[],
  ): string[] {
    if (isSelfReview(d)) return type === 'user' ? [principalId] : fallback.filter((id) => id !== principalId);
    const others = named.filter((id) => id !== principalId);
    return others.length > 0 ? others : fallback.filter((id) => id !== principalId);
  }

  private async reviewerIds(scopes: ReviewDefinition['reviewers']): Promise<string[]> {
    const ids = new Set<string>();
    for (const scope of scopes) {
      const q = resolveReviewer(scope);
      if (q.kind === 'user') ids.add(q.id);
      else {
        const members = await allPages((page) => this.groups.listMembers(SYSTEM, q.groupId, page)).catch(
          (err: unknown) => {
            if (err instanceof AppError && err.status === 404) return [];
            throw err;
          },
        );
        for (const m of members) ids.add(m.principalId.toLowerCase());
      }
    }
    return [...ids];
  }

  /** When each principal last got the role or group by activation (the activation index: one query). */
  private async lastActivations(resource: {
    kind: 'role' | 'group';
    id: string;
  }): Promise<Map<string, Date>> {
    const requests = await allPages((page) =>
      this.deps.stores.activations.requests(resource.kind, page, resource.id),
    );
    const last = new Map<string, Date>();
    for (const r of requests) {
      const granted = r.activation.grantedDateTime;
      if (r.action !== 'selfActivate' || !granted) continue;
      const at = new Date(granted);
      const seen = last.get(r.principalId);
      if (!seen || seen < at) last.set(r.principalId, at);
    }
    return last;
  }

  private async remove(
    d: ReviewDefinition,
    x: DecisionItem,
  ): Promise<{ result: DecisionItem['applyResult']; detail: string | null }> {
    const resource =
      x.target.kind === 'role'
        ? { kind: 'role' as const, id: x.target.roleDefinitionId }
        : { kind: 'group' as const, id: x.target.groupId };
    try {
      await this.requests.removeForReview(
        systemContext(`Access review: ${d.displayName}`),
        x.level,
        x.target as Target,
        x.principal.id,
        x.id,
        `Denied in access review "${d.displayName}"${x.justification ? `: ${x.justification}` : ''}`,
      );
      return { result: 'AppliedSuccessfully', detail: null };
    } catch (err) {
      if (err instanceof AppError && err.code === 'RoleAssignmentDoesNotExist') {
        // Our own removal, committed before a crash, or someone else's: either way it is gone.
        const ours = await this.deps.stores.roleManagement.request(resource, x.level as ScheduleLevel, x.id);
        return ours
          ? { result: 'AppliedSuccessfully', detail: null }
          : { result: 'AppliedSuccessfullyButObjectNotFound', detail: 'The assignment was already gone.' };
      }
      if (err instanceof AppError && err.status < 500) {
        return { result: 'AppliedWithUnknownFailure', detail: `${err.code}: ${err.message}` };
      }
      throw err;
    }
  }

  /**
   * Rewrites decision items in transactions of up to 98, each with its audit row and the instance
   * row as guard (rewritten unchanged), so that nothing lands after the instance has ended.
   */
  private async rewriteItems(
    instance: Versioned<ReviewInstance>,
    items: { before: Versioned<DecisionItem>; after: DecisionItem }[],
    auditOf: (part: DecisionItem[]) => DirectoryAudit,
  ): Promise<void> {
    let guard = instance;
    for (const part of chunks(items)) {
      await this.store.commit(
        [
          ...part.map(
            (x): ReviewWrite => ({
              op: 'replace',
              row: { kind: 'decision', value: x.after },
              etag: x.before.etag,
            }),
          ),
          { op: 'replace', row: { kind: 'instance', value: guard.value }, etag: guard.etag },
        ],
        [auditOf(part.map((x) => x.after))],
      );
      const fresh = await this.store.instance(guard.value.definitionId, guard.value.id);
      if (!fresh) throw noInstance(guard.value.id);
      guard = fresh;
    }
  }

  private async openFor(definitionId: string, instanceId: string, now: Date) {
    const d = await this.store.definition(definitionId);
    const instance = d ? await this.store.instance(definitionId, instanceId) : undefined;
    if (!d || !instance) throw noInstance(instanceId);
    if (!isOpen(instance.value, now)) {
      throw new ConflictError(
        instance.value.status === 'NotStarted'
          ? 'The review has not started yet.'
          : 'The review has ended; decisions can no longer change.',
        'InstanceNotInProgress',
      );
    }
    return { definition: d.value, instance };
  }

  private async existing(definitionId: string, instanceId: string): Promise<void> {
    const d = await this.store.definition(definitionId);
    if (!d || !(await this.store.instance(definitionId, instanceId))) throw noInstance(instanceId);
  }

  private requireReviewer(ctx: OperationContext, x: DecisionItem, d: ReviewDefinition): void {
    const me = callerId(ctx);
    if (x.reviewerIds.includes(me)) return;
    if (x.principal.id === me && !isSelfReview(d)) {
      throw new ForbiddenError('You cannot review your own assignment in this review.');
    }
    throw new ForbiddenError('You are not a reviewer of this item.');
  }

  private async isReader(ctx: OperationContext): Promise<boolean> {
    return ctx.actor.kind === 'system' || (await this.deps.access.canRead(ctx.actor.id, this.deps.now()));
  }

  private async isManager(ctx: OperationContext): Promise<boolean> {
    return ctx.actor.kind === 'system' || (await this.deps.access.canManage(ctx.actor.id, this.deps.now()));
  }

  private async scopeTarget(scope: ResolvedScope): Promise<TargetResource | undefined> {
    const r = scope.resource;
    if (r.kind === 'role') {
      const def =
        builtInRole(r.roleDefinitionId) ??
        (await this.deps.stores.roleManagement.roleDefinition(r.roleDefinitionId))?.value;
      return { id: r.roleDefinitionId, type: 'Role', displayName: def?.displayName ?? null };
    }
    const group = await this.deps.stores.roleManagement.group(r.groupId);
    return { id: r.groupId, type: 'Group', displayName: group?.value.displayName ?? null };
  }

  private audit(
    ctx: OperationContext,
    at: Date,
    activity: string,
    operation: DirectoryAudit['operationType'],
    d: ReviewDefinition,
    target?: TargetResource,
    details: Record<string, string> = {},
  ): DirectoryAudit {
    return event(ctx, at, {
      category: 'AccessReview',
      activityDisplayName: activity,
      operationType: operation,
      targets: [{ id: d.id, type: 'Other', displayName: d.displayName }, ...(target ? [target] : [])],
      details: { DefinitionId: d.id, ...details },
    });
  }

  private decisionAudit(
    ctx: OperationContext,
    at: Date,
    d: ReviewDefinition,
    items: DecisionItem[],
  ): DirectoryAudit {
    const first = items[0]!;
    return event(ctx, at, {
      category: 'AccessReview',
      activityDisplayName: items.length === 1 ? 'Review decision recorded' : 'Review decisions recorded',
      operationType: 'Update',
      targets: [
        { id: d.id, type: 'Other', displayName: d.displayName },
        ...(items.length === 1
          ? [
              {
                id: first.principal.id,
                type: first.principal.type === 'user' ? 'User' : 'Group',
                displayName: first.principal.displayName,
              },
            ]
          : []),
      ] as TargetResource[],
      details: {
        DefinitionId: d.id,
        InstanceId: first.instanceId,
        Decision: first.decision,
        Justification: first.justification,
        DecisionItems: items.map((x) => x.id).join(','),
        Principals: items.map((x) => x.principal.id).join(','),
      },
    });
  }
}

const DecisionInput = z.object({
  decision: ReviewerDecision,
  justification: z.string().max(1000).nullish(),
});

const BatchInput = DecisionInput.extend({
  principalId: z.guid().nullish(),
  resourceId: z.guid().nullish(),
});

function callerId(ctx: OperationContext): string {
  return ctx.actor.kind === 'user' ? ctx.actor.id : 'system';
}

function runInput(i: ReviewInstance): ReviewRunInput {
  return {
    definitionId: i.definitionId,
    instanceId: i.id,
    startDateTime: i.startDateTime,
    endDateTime: i.endDateTime,
  };
}

/** Open for decisions: running, not stopped, before its end. */
export function isOpen(i: ReviewInstance, now: Date): boolean {
  return i.status === 'InProgress' && !i.stoppedDateTime && now.getTime() < Date.parse(i.endDateTime);
}

function checkJustification(
  d: ReviewDefinition,
  decision: string,
  justification: string | null | undefined,
): void {
  if (decision === 'Approve' && d.settings.justificationRequiredOnApproval && !justification?.trim()) {
    throw new ValidationError('This review requires a justification to approve.', [
      { target: 'justification', message: 'required on approval' },
    ]);
  }
}

function reviewed(
  ctx: OperationContext,
  x: DecisionItem,
  decision: DecisionItem['decision'],
  justification: string | null,
  now: Date,
): DecisionItem {
  const by = createdByOf(ctx).user;
  return {
    ...x,
    decision,
    justification,
    reviewedBy: { id: by.id, displayName: by.displayName },
    reviewedDateTime: now.toISOString(),
  };
}

function autoReviewed(x: DecisionItem, decision: 'Approve' | 'Deny', now: Date): DecisionItem {
  return {
    ...x,
    decision,
    justification: 'Default decision: not reviewed before the end of the review.',
    reviewedBy: { id: 'system', displayName: 'Access reviews' },
    reviewedDateTime: now.toISOString(),
  };
}
