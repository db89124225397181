// The rules of access reviews that need no storage: what a scope and a reviewer query mean, when
// occurrences start, what is recommended, and what an undecided item becomes.
import { describe, expect, it } from 'vitest';
import {
  cadenceOf,
  decisionIdOf,
  defaultDecisionFor,
  firstStartOf,
  occurrenceStart,
  ReviewSettings,
  recommend,
  resolveReviewer,
  resolveScope,
  ScopeError,
} from '../../shared/domain/access-reviews';

const ROLE = '5d6b6bb7-de71-4623-b4af-96380a352509';
const GROUP = '7c1e3d2a-5b4f-4e8a-9d6c-2f0b1a3e5c71';
const USER = '94eb658c-e0dd-4d98-ae7c-c27dd87b5925';
const DAY = 86_400_000;

const settings = (s: Record<string, unknown>) => ReviewSettings.parse(s);

describe('scope resolution', () => {
  it("reads Graph's query for a role's eligible users", () => {
    expect(
      resolveScope({
        query: `/roleManagement/directory/roleEligibilityScheduleInstances?$expand=principal&$filter=(isof(principal,'microsoft.graph.user') and roleDefinitionId eq '${ROLE}')`,
        queryType: 'MicrosoftGraph',
      }),
    ).toEqual({
      resource: { kind: 'role', roleDefinitionId: ROLE },
      levels: ['eligibility'],
      principalTypes: ['user'],
      accessIds: ['member', 'owner'],
    });
  });

  it('reads active assignments, URL-encoded, of users and groups alike', () => {
    const scope = resolveScope({
      query: encodeURI(
        `/roleManagement/directory/roleAssignmentScheduleInstances?$filter=roleDefinitionId eq '${ROLE}'`,
      ),
    });
    expect(scope.levels).toEqual(['assignment']);
    expect(scope.principalTypes).toEqual(['user', 'group']);
  });

  it("reads a PIM group's members", () => {
    const scope = resolveScope({
      query: `/identityGovernance/privilegedAccess/group/assignmentScheduleInstances?$filter=groupId eq '${GROUP}' and accessId eq 'member'`,
    });
    expect(scope).toMatchObject({
      resource: { kind: 'group', groupId: GROUP },
      levels: ['assignment'],
      accessIds: ['member'],
    });
  });

  it('reads principalResourceMembershipsScope as eligible and active assignments', () => {
    const scope = resolveScope({
      '@odata.type': '#microsoft.graph.principalResourceMembershipsScope',
      principalScopes: [{ query: '/users' }],
      resourceScopes: [{ query: `/roleManagement/directory/roleDefinitions/${ROLE}` }],
    });
    expect(scope).toMatchObject({ levels: ['eligibility', 'assignment'], principalTypes: ['user'] });
    const group = resolveScope({
      '@odata.type': '#microsoft.graph.principalResourceMembershipsScope',
      principalScopes: [{ query: '/users' }, { query: '/groups' }],
      resourceScopes: [{ query: `/groups/${GROUP}` }],
    });
    expect(group.resource).toEqual({ kind: 'group', groupId: GROUP });
    expect(group.principalTypes).toEqual(['user', 'group']);
  });

  it('refuses what it cannot review, saying what it can', () => {
    expect(() => resolveScope({ query: '/groups/x/transitiveMembers' })).toThrow(ScopeError);
    expect(() =>
      resolveScope({
        query: '/roleManagement/directory/roleEligibilityScheduleInstances?$filter=principalId eq 1',
      }),
    ).toThrow(/roleDefinitionId/);
    expect(() =>
      resolveScope({
        '@odata.type': '#microsoft.graph.principalResourceMembershipsScope',
        principalScopes: [{ query: '/servicePrincipals' }],
        resourceScopes: [{ query: `/groups/${GROUP}` }],
      }),
    ).toThrow(/users or \/groups/);
  });

  it('reads reviewers: a user, or the members of a group', () => {
    expect(resolveReviewer({ query: `/users/${USER.toUpperCase()}` })).toEqual({ kind: 'user', id: USER });
    expect(resolveReviewer({ query: `/groups/${GROUP}/transitiveMembers` })).toEqual({
      kind: 'groupMembers',
      groupId: GROUP,
    });
    expect(() => resolveReviewer({ query: './manager' })).toThrow(ScopeError);
  });
});

describe('recurrence', () => {
  const first = new Date('2026-01-15T09:00:00Z');

  it('one-time: a single occurrence', () => {
    const s = settings({
      recurrence: { pattern: null, range: { type: 'numbered', numberOfOccurrences: 0 } },
    });
    expect(cadenceOf(s)).toBeNull();
    expect(occurrenceStart(s, first, 0)).toEqual(first);
    expect(occurrenceStart(s, first, 1)).toBeUndefined();
  });

  it('quarterly: every three calendar months from the first start', () => {
    const s = settings({
      recurrence: { pattern: { type: 'absoluteMonthly', interval: 3 }, range: { type: 'noEnd' } },
    });
    expect(occurrenceStart(s, first, 1)?.toISOString()).toBe('2026-04-15T09:00:00.000Z');
    expect(occurrenceStart(s, first, 4)?.toISOString()).toBe('2027-01-15T09:00:00.000Z');
  });

  it('weekly, ending after a number of occurrences or a date', () => {
    const numbered = settings({
      recurrence: {
        pattern: { type: 'weekly', interval: 1 },
        range: { type: 'numbered', numberOfOccurrences: 2 },
      },
    });
    expect(occurrenceStart(numbered, first, 1)!.getTime() - first.getTime()).toBe(7 * DAY);
    expect(occurrenceStart(numbered, first, 2)).toBeUndefined();
    const until = settings({
      recurrence: {
        pattern: { type: 'weekly', interval: 2 },
        range: { type: 'endDate', endDate: '2026-02-12' },
      },
    });
    expect(occurrenceStart(until, first, 2)?.toISOString()).toBe('2026-02-12T09:00:00.000Z');
    expect(occurrenceStart(until, first, 3)).toBeUndefined();
  });

  it('refuses monthly intervals PIM does not offer', () => {
    expect(() =>
      cadenceOf(settings({ recurrence: { pattern: { type: 'absoluteMonthly', interval: 5 } } })),
    ).toThrow(ScopeError);
  });

  it('starts on the range start date, or now when that has passed', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    expect(
      firstStartOf(settings({ recurrence: { range: { startDate: '2026-03-10' } } }), now).toISOString(),
    ).toBe('2026-03-10T00:00:00.000Z');
    expect(firstStartOf(settings({ recurrence: { range: { startDate: '2026-02-01' } } }), now)).toEqual(now);
  });
});

describe('recommendations and default decisions', () => {
  const now = new Date('2026-06-30T00:00:00Z');
  const longAgo = new Date(now.getTime() - 200 * DAY);

  it('recommends Deny to an eligible principal who has not activated for 30 days', () => {
    expect(recommend('eligibility', undefined, longAgo, now)).toBe('Deny');
    expect(recommend('eligibility', new Date(now.getTime() - 31 * DAY), longAgo, now)).toBe('Deny');
    expect(recommend('eligibility', new Date(now.getTime() - 2 * DAY), longAgo, now)).toBe('Approve');
  });

  it('does not judge an eligibility younger than the look-back, nor active assignments', () => {
    expect(recommend('eligibility', undefined, new Date(now.getTime() - 5 * DAY), now)).toBe('Approve');
    expect(recommend('assignment', undefined, longAgo, now)).toBe('NotAvailable');
  });

  it('applies the default decision only when enabled; Recommendation follows the recommendation', () => {
    expect(
      defaultDecisionFor({ defaultDecisionEnabled: false, defaultDecision: 'Deny' }, 'Approve'),
    ).toBeUndefined();
    expect(defaultDecisionFor({ defaultDecisionEnabled: true, defaultDecision: 'Deny' }, 'Approve')).toBe(
      'Deny',
    );
    expect(
      defaultDecisionFor({ defaultDecisionEnabled: true, defaultDecision: 'Recommendation' }, 'Deny'),
    ).toBe('Deny');
    expect(
      defaultDecisionFor({ defaultDecisionEnabled: true, defaultDecision: 'Recommendation' }, 'NotAvailable'),
    ).toBeUndefined();
  });

  it('derives the same decision item id from the same instance and assignment', () => {
    const id = decisionIdOf('i1', 's1');
    expect(id).toBe(decisionIdOf('i1', 's1'));
    expect(id).not.toBe(decisionIdOf('i1', 's2'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
