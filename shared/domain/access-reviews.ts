// Access reviews of PIM eligibility and active assignments, in Graph's shapes
// (accessReviewScheduleDefinition, accessReviewInstance, accessReviewInstanceDecisionItem): the
// input schema, the stored records, and the rules that need no storage (scope and reviewer queries,
// recurrence, recommendations, default decisions). Only what PIM reviews use: a role's or a PIM
// group's assignments, reviewed by named users, a group's members or the principals themselves.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ciEnum } from './enums';
import type { ScheduleLevel, Target } from './schedules';

// ---- input -------------------------------------------------------------------------------------

const Query = z.object({
  '@odata.type': z.string().max(200).optional(),
  query: z.string().min(1).max(1000),
  queryType: z.string().max(50).nullish(),
  queryRoot: z.string().max(50).nullish(),
});

export const ReviewScopeInput = z.union([
  z.object({
    '@odata.type': z.literal('#microsoft.graph.principalResourceMembershipsScope'),
    principalScopes: z.array(Query).min(1).max(2),
    resourceScopes: z.array(Query).length(1, 'One role or group per review.'),
  }),
  Query,
]);
export type ReviewScopeInput = z.infer<typeof ReviewScopeInput>;

export const ReviewerScope = Query.meta({ id: 'accessReviewReviewerScope_input' });
export type ReviewerScope = z.infer<typeof ReviewerScope>;

const Recurrence = z.object({
  pattern: z
    .object({
      type: ciEnum(['weekly', 'absoluteMonthly', 'absoluteYearly'] as const),
      interval: z.number().int().min(1).max(12),
      dayOfMonth: z.number().int().optional(),
      daysOfWeek: z.array(z.string()).optional(),
      month: z.number().int().optional(),
      firstDayOfWeek: z.string().nullish(),
      index: z.string().nullish(),
    })
    .nullish(),
  range: z
    .object({
      type: ciEnum(['noEnd', 'endDate', 'numbered'] as const).default('noEnd'),
      startDate: z.iso.date().nullish(),
      endDate: z.iso.date().nullish(),
      numberOfOccurrences: z.number().int().min(0).max(1000).optional(),
      recurrenceTimeZone: z.string().nullish(),
    })
    .nullish(),
});

export const DefaultDecision = ciEnum(['Approve', 'Deny', 'Recommendation'] as const);

export const ReviewSettings = z.object({
  mailNotificationsEnabled: z.boolean().default(true),
  reminderNotificationsEnabled: z.boolean().default(true),
  justificationRequiredOnApproval: z.boolean().default(false),
  defaultDecisionEnabled: z.boolean().default(false),
  defaultDecision: DefaultDecision.nullish(),
  instanceDurationInDays: z.number().int().min(1).max(365).default(14),
  autoApplyDecisionsEnabled: z.boolean().default(false),
  recommendationsEnabled: z.boolean().default(false),
  recurrence: Recurrence.nullish(),
  // Graph's, accepted and kept: PIM reviews remove access, the only apply action there is.
  applyActions: z.array(z.object({ '@odata.type': z.string() })).optional(),
  decisionHistoriesForReviewersEnabled: z.boolean().optional(),
  recommendationLookBackDuration: z.string().nullish(),
});
export type ReviewSettings = z.infer<typeof ReviewSettings>;

export const ReviewDefinitionInput = z
  .object({
    '@odata.type': z.string().optional(),
    displayName: z.string().trim().min(1).max(256),
    descriptionForAdmins: z.string().max(1000).nullish(),
    descriptionForReviewers: z.string().max(1000).nullish(),
    scope: ReviewScopeInput,
    reviewers: z.array(ReviewerScope).max(25).default([]),
    fallbackReviewers: z.array(ReviewerScope).max(25).default([]),
    settings: ReviewSettings.default(ReviewSettings.parse({})),
  })
  .meta({ id: 'accessReviewScheduleDefinition_input' });
export type ReviewDefinitionInput = z.infer<typeof ReviewDefinitionInput>;

// ---- what a scope and a reviewer query mean ----------------------------------------------------

/** The assignments a review covers: of one role (at any scope) or one PIM group. */
export interface ResolvedScope {
  resource: { kind: 'role'; roleDefinitionId: string } | { kind: 'group'; groupId: string };
  levels: ScheduleLevel[];
  /** Which principals: users, groups (assignments to role-assignable groups), or both. */
  principalTypes: ('user' | 'group')[];
  /** PIM groups: members, owners, or both. */
  accessIds: ('member' | 'owner')[];
}

export class ScopeError extends Error {}

const GUID = '[0-9a-fA-F-]{36}';
const ROLE_INSTANCES = /^\/roleManagement\/directory\/role(Eligibility|Assignment)ScheduleInstances\?(.*)$/;
const GROUP_INSTANCES =
  /^\/identityGovernance\/privilegedAccess\/group\/(eligibility|assignment)ScheduleInstances\?(.*)$/;
const ROLE_DEFINITION = new RegExp(`^/roleManagement/directory/roleDefinitions/(${GUID})$`);
const GROUP_RESOURCE = new RegExp(
  `^/(?:groups|identityGovernance/privilegedAccess/group/resources)/(${GUID})$`,
);

function filterValue(filter: string, field: string): string | undefined {
  return new RegExp(`${field}\\s+eq\\s+'(${GUID})'`, 'i').exec(filter)?.[1]?.toLowerCase();
}

function principalTypesOf(filter: string): ResolvedScope['principalTypes'] {
  const m = /isof\(\s*principal\s*,\s*'microsoft\.graph\.(user|group)'\s*\)/i.exec(filter);
  return m ? [m[1]!.toLowerCase() as 'user' | 'group'] : ['user', 'group'];
}

function accessIdsOf(filter: string): ResolvedScope['accessIds'] {
  const m = /accessId\s+eq\s+'(member|owner)'/i.exec(filter);
  return m ? [m[1]!.toLowerCase() as 'member' | 'owner'] : ['member', 'owner'];
}

/**
 * The scope forms Graph uses for PIM reviews:
 *   - accessReviewQueryScope `/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal&$filter=(isof(principal,'microsoft.graph.user') and roleDefinitionId eq '{id}')`
 *     (or roleAssignmentScheduleInstances for active assignments; the group forms
 *     `/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?$filter=groupId eq '{id}'`);
 *   - principalResourceMembershipsScope with principalScopes `/users` and/or `/groups` and one
 *     resource `/roleManagement/directory/roleDefinitions/{id}` or `/groups/{id}`: eligible and active.
 */
export function resolveScope(scope: ReviewScopeInput): ResolvedScope {
  if ('principalScopes' in scope) {
    const types = new Set<'user' | 'group'>();
    for (const p of scope.principalScopes) {
      if (/^\/users\/?$/i.test(p.query)) types.add('user');
      else if (/^\/groups\/?$/i.test(p.query)) types.add('group');
      else throw new ScopeError(`Principal scope '${p.query}' is not supported: use /users or /groups.`);
    }
    const query = scope.resourceScopes[0]!.query;
    const role = ROLE_DEFINITION.exec(query);
    const group = GROUP_RESOURCE.exec(query);
    if (!role && !group) {
      throw new ScopeError(
        `Resource scope '${query}' is not supported: use /roleManagement/directory/roleDefinitions/{id} or /groups/{id}.`,
      );
    }
    return {
      resource: role
        ? { kind: 'role', roleDefinitionId: role[1]!.toLowerCase() }
        : { kind: 'group', groupId: group![1]!.toLowerCase() },
      levels: ['eligibility', 'assignment'],
      principalTypes: [...types],
      accessIds: ['member', 'owner'],
    };
  }
  let query: string;
  try {
    query = decodeURIComponent(scope.query);
  } catch {
    throw new ScopeError(`Scope '${scope.query}' is not a valid URL-encoded query.`);
  }
  const role = ROLE_INSTANCES.exec(query);
  if (role) {
    const id = filterValue(role[2]!, 'roleDefinitionId');
    if (!id) throw new ScopeError("The scope's query must filter on roleDefinitionId eq '{id}'.");
    return {
      resource: { kind: 'role', roleDefinitionId: id },
      levels: [role[1] === 'Eligibility' ? 'eligibility' : 'assignment'],
      principalTypes: principalTypesOf(role[2]!),
      accessIds: ['member', 'owner'],
    };
  }
  const group = GROUP_INSTANCES.exec(query);
  if (group) {
    const id = filterValue(group[2]!, 'groupId');
    if (!id) throw new ScopeError("The scope's query must filter on groupId eq '{id}'.");
    return {
      resource: { kind: 'group', groupId: id },
      levels: [group[1] === 'eligibility' ? 'eligibility' : 'assignment'],
      principalTypes: principalTypesOf(group[2]!),
      accessIds: accessIdsOf(group[2]!),
    };
  }
  throw new ScopeError(
    `Scope '${scope.query}' is not supported: review a role's or a PIM group's eligible or active assignments.`,
  );
}

export type ReviewerQuery = { kind: 'user'; id: string } | { kind: 'groupMembers'; groupId: string };

/** `/users/{id}`, or `/groups/{id}/members` (or transitiveMembers): who reviews. */
export function resolveReviewer(r: ReviewerScope): ReviewerQuery {
  const user = new RegExp(`^/(?:v1\\.0/)?users/(${GUID})$`, 'i').exec(r.query);
  if (user) return { kind: 'user', id: user[1]!.toLowerCase() };
  const group = new RegExp(`^/(?:v1\\.0/)?groups/(${GUID})/(?:transitiveMembers|members)$`, 'i').exec(
    r.query,
  );
  if (group) return { kind: 'groupMembers', groupId: group[1]!.toLowerCase() };
  throw new ScopeError(
    `Reviewer '${r.query}' is not supported: use /users/{id} or /groups/{id}/transitiveMembers (none: a self-review).`,
  );
}

// ---- recurrence --------------------------------------------------------------------------------

/** Months between instances (weekly: undefined, see weeks); null = one-time. */
export interface Cadence {
  months?: number;
  weeks?: number;
}

export function cadenceOf(settings: ReviewSettings): Cadence | null {
  const pattern = settings.recurrence?.pattern;
  if (!pattern) return null;
  if (pattern.type === 'weekly') return { weeks: pattern.interval };
  if (pattern.type === 'absoluteYearly') return { months: 12 * pattern.interval };
  if (![1, 3, 6, 12].includes(pattern.interval)) {
    throw new ScopeError('Monthly recurrence intervals are 1 (monthly), 3 (quarterly), 6 or 12.');
  }
  return { months: pattern.interval };
}

/** The longest an instance may run: it must end before the next one starts. */
export function cadenceDays(c: Cadence): number {
  return c.weeks ? c.weeks * 7 : Math.floor((c.months ?? 1) * 28);
}

/** When occurrence `n` (0-based) starts, from the first start; undefined past the range. */
export function occurrenceStart(settings: ReviewSettings, firstStart: Date, n: number): Date | undefined {
  const cadence = cadenceOf(settings);
  if (n === 0) return firstStart;
  if (!cadence) return undefined;
  const range = settings.recurrence?.range;
  if (range?.type === 'numbered' && (range.numberOfOccurrences ?? 0) > 0 && n >= range.numberOfOccurrences!) {
    return undefined;
  }
  const at = new Date(firstStart);
  if (cadence.weeks) at.setUTCDate(at.getUTCDate() + 7 * cadence.weeks * n);
  else at.setUTCMonth(at.getUTCMonth() + (cadence.months ?? 1) * n);
  if (
    range?.type === 'endDate' &&
    range.endDate &&
    at.getTime() > Date.parse(`${range.endDate}T23:59:59.999Z`)
  ) {
    return undefined;
  }
  return at;
}

/** The first instance starts on the range's start date, or now when that is today or past. */
export function firstStartOf(settings: ReviewSettings, now: Date): Date {
  const startDate = settings.recurrence?.range?.startDate;
  if (!startDate) return now;
  const at = new Date(`${startDate}T00:00:00.000Z`);
  return at.getTime() > now.getTime() ? at : now;
}

export function instanceEnd(settings: ReviewSettings, start: Date): Date {
  return new Date(start.getTime() + settings.instanceDurationInDays * 86_400_000);
}

// ---- decisions ---------------------------------------------------------------------------------

export const DECISIONS = ['Approve', 'Deny', 'DontKnow', 'NotReviewed'] as const;
export type Decision = (typeof DECISIONS)[number];
export const ReviewerDecision = ciEnum(['Approve', 'Deny', 'DontKnow'] as const);

export type Recommendation = 'Approve' | 'Deny' | 'NotAvailable';

/** How long without an activation makes the recommendation Deny. */
export const RECOMMENDATION_LOOKBACK_DAYS = 30;

/**
 * Deny when the principal has not activated the role in the last 30 days (eligibility), or was
 * given active access before that and never used an eligibility since (nothing to go by: Approve).
 */
export function recommend(
  level: ScheduleLevel,
  lastActivation: Date | undefined,
  assignedSince: Date,
  now: Date,
): Recommendation {
  if (level === 'assignment') return 'NotAvailable';
  const lookBackStart = now.getTime() - RECOMMENDATION_LOOKBACK_DAYS * 86_400_000;
  if (lastActivation && lastActivation.getTime() >= lookBackStart) return 'Approve';
  // Eligible for less than the look-back: too new to judge.
  if (assignedSince.getTime() > lookBackStart) return 'Approve';
  return 'Deny';
}

/** What an undecided item becomes when the instance ends (undefined: it stays NotReviewed). */
export function defaultDecisionFor(
  settings: Pick<ReviewSettings, 'defaultDecisionEnabled' | 'defaultDecision'>,
  recommendation: Recommendation,
): 'Approve' | 'Deny' | undefined {
  if (!settings.defaultDecisionEnabled || !settings.defaultDecision) return undefined;
  if (settings.defaultDecision === 'Recommendation') {
    return recommendation === 'NotAvailable' ? undefined : recommendation;
  }
  return settings.defaultDecision;
}

// ---- stored records ----------------------------------------------------------------------------

export interface Identity {
  id: string;
  displayName: string | null;
}

export interface ReviewDefinition {
  id: string;
  displayName: string;
  descriptionForAdmins: string | null;
  descriptionForReviewers: string | null;
  scope: ReviewScopeInput;
  reviewers: ReviewerScope[];
  fallbackReviewers: ReviewerScope[];
  settings: ReviewSettings;
  createdBy: Identity;
  createdDateTime: string;
  lastModifiedDateTime: string;
  /** When the first instance starts; later ones follow the recurrence from it. */
  firstStartDateTime: string;
  /** How many instances were started (the next one is occurrence `instanceCount`). */
  instanceCount: number;
  status: 'NotStarted' | 'InProgress' | 'Completed';
}

export type InstanceStatus = 'NotStarted' | 'InProgress' | 'Completed' | 'Applying' | 'Applied';

export interface ReviewInstance {
  id: string;
  definitionId: string;
  occurrence: number;
  startDateTime: string;
  endDateTime: string;
  status: InstanceStatus;
  /** Everyone asked to review something in this instance (set when it starts). */
  reviewerIds: string[];
  /** Set by `stop`: ended early. */
  stoppedDateTime: string | null;
}

export type ApplyResult =
  | 'New'
  | 'AppliedSuccessfully'
  | 'AppliedWithUnknownFailure'
  | 'AppliedSuccessfullyButObjectNotFound';

export interface DecisionItem {
  id: string;
  instanceId: string;
  definitionId: string;
  principal: Identity & { type: 'user' | 'group' };
  resource: Identity & { type: 'directoryRole' | 'group' };
  level: ScheduleLevel;
  target: Target;
  scheduleId: string;
  reviewerIds: string[];
  decision: Decision;
  justification: string | null;
  reviewedBy: Identity | null;
  reviewedDateTime: string | null;
  recommendation: Recommendation;
  applyResult: ApplyResult;
  /** Why a removal was refused (e.g. the last administrator); Graph has only the result. */
  applyResultDetail: string | null;
  appliedBy: Identity | null;
  appliedDateTime: string | null;
}

/** A uuid made from names, so that re-running a step makes the same ids (and no duplicates). */
export function stableId(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const instanceIdOf = (definitionId: string, occurrence: number) =>
  stableId('review-instance', definitionId, String(occurrence));
export const decisionIdOf = (instanceId: string, scheduleId: string) =>
  stableId('review-decision', instanceId, scheduleId);

// ---- Graph views -------------------------------------------------------------------------------

const userIdentity = (i: Identity | null) =>
  i ? { '@odata.type': '#microsoft.graph.userIdentity', id: i.id, displayName: i.displayName } : null;

export function isSelfReview(d: Pick<ReviewDefinition, 'reviewers'>): boolean {
  return d.reviewers.length === 0;
}

export function toGraphDefinition(d: ReviewDefinition): Record<string, unknown> {
  return {
    id: d.id,
    displayName: d.displayName,
    descriptionForAdmins: d.descriptionForAdmins,
    descriptionForReviewers: d.descriptionForReviewers,
    createdBy: { id: d.createdBy.id, displayName: d.createdBy.displayName, userPrincipalName: null },
    createdDateTime: d.createdDateTime,
    lastModifiedDateTime: d.lastModifiedDateTime,
    status: d.status,
    scope: d.scope,
    instanceEnumerationScope: null,
    reviewers: d.reviewers,
    fallbackReviewers: d.fallbackReviewers,
    additionalNotificationRecipients: [],
    settings: {
      ...d.settings,
      defaultDecision: d.settings.defaultDecision ?? null,
      recurrence: d.settings.recurrence ?? null,
      applyActions: d.settings.applyActions ?? [
        { '@odata.type': '#microsoft.graph.removeAccessApplyAction' },
      ],
      recommendationLookBackDuration: d.settings.recommendationLookBackDuration ?? 'P30D',
      decisionHistoriesForReviewersEnabled: d.settings.decisionHistoriesForReviewersEnabled ?? false,
      recommendationInsightSettings: [],
    },
    stageSettings: [],
  };
}

export function toGraphInstance(i: ReviewInstance, d: ReviewDefinition): Record<string, unknown> {
  return {
    id: i.id,
    startDateTime: i.startDateTime,
    endDateTime: i.stoppedDateTime ?? i.endDateTime,
    status: i.status,
    scope: d.scope,
    reviewers: d.reviewers,
    fallbackReviewers: d.fallbackReviewers,
  };
}

export function toGraphDecision(x: DecisionItem): Record<string, unknown> {
  const principalLink =
    x.principal.type === 'user'
      ? `https://graph.microsoft.com/v1.0/users/${x.principal.id}`
      : `https://graph.microsoft.com/v1.0/groups/${x.principal.id}`;
  const resourceLink =
    x.resource.type === 'directoryRole'
      ? `https://graph.microsoft.com/v1.0/roleManagement/directory/roleDefinitions/${x.resource.id}`
      : `https://graph.microsoft.com/v1.0/groups/${x.resource.id}`;
  return {
    id: x.id,
    accessReviewId: x.instanceId,
    decision: x.decision,
    justification: x.justification,
    recommendation: x.recommendation,
    applyResult: x.applyResult,
    applyResultDetail: x.applyResultDetail,
    appliedBy: userIdentity(x.appliedBy),
    appliedDateTime: x.appliedDateTime,
    reviewedBy: userIdentity(x.reviewedBy),
    reviewedDateTime: x.reviewedDateTime,
    principal: {
      '@odata.type':
        x.principal.type === 'user' ? '#microsoft.graph.userIdentity' : '#microsoft.graph.identity',
      id: x.principal.id,
      displayName: x.principal.displayName,
    },
    principalLink,
    resource: {
      id: x.resource.id,
      displayName: x.resource.displayName,
      type: x.resource.type,
    },
    resourceLink,
    // Service extension: which assignment the item is about.
    assignmentType: x.level === 'eligibility' ? 'eligible' : 'active',
    scheduleId: x.scheduleId,
  };
}
