// What a request's status means to the person waiting, when its window ends, and following it
// until it settles or the deadline passes.
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../cli/http-client';
import { endOf, followRequest, phaseOf, type ScheduleRequest } from '../../cli/requests';

const request = (status: string, extra: Partial<ScheduleRequest> = {}): ScheduleRequest => ({
  id: 'r1',
  status,
  action: 'selfActivate',
  principalId: 'p1',
  roleDefinitionId: 'role1',
  createdDateTime: '2026-12-02T08:00:00.000Z',
  ...extra,
});

/** A client whose GETs answer the given statuses in turn (the last one from then on). */
function clientAnswering(statuses: string[]): { client: ApiClient; calls: () => number } {
  let calls = 0;
  const client = {
    get: async () => request(statuses[Math.min(calls++, statuses.length - 1)]),
  } as unknown as ApiClient;
  return { client, calls: () => calls };
}

describe('phaseOf', () => {
  it.each([
    ['Provisioned', 'done'],
    ['Granted', 'done'],
    ['ScheduleCreated', 'done'],
    ['Revoked', 'done'],
    ['PendingMfa', 'mfa'],
    ['PendingApproval', 'approval'],
    ['PendingProvisioning', 'working'],
    ['Denied', 'failed'],
    ['Canceled', 'failed'],
    ['TimedOut', 'failed'],
    ['Failed', 'failed'],
  ])('%s is %s', (status, phase) => {
    expect(phaseOf(status)).toBe(phase);
  });
});

describe('endOf', () => {
  it('takes endDateTime, else start plus duration (Graph leaves endDateTime null for afterDuration)', () => {
    expect(
      endOf(
        request('Provisioned', { scheduleInfo: { expiration: { endDateTime: '2026-12-02T10:00:00Z' } } }),
      ),
    ).toBe('2026-12-02T10:00:00Z');
    expect(
      endOf(
        request('Provisioned', {
          scheduleInfo: { startDateTime: '2026-12-02T08:00:00.000Z', expiration: { duration: 'PT1H30M' } },
        }),
      ),
    ).toBe('2026-12-02T09:30:00.000Z');
    expect(endOf(request('Provisioned'))).toBeUndefined();
  });
});

describe('followRequest', () => {
  it('polls until the request reaches a wanted phase, reporting each answer', async () => {
    const { client } = clientAnswering(['PendingProvisioning', 'Provisioned']);
    const seen: string[] = [];
    const result = await followRequest(client, 'role', request('PendingProvisioning'), {
      until: ['done'],
      timeoutMs: 5000,
      intervalMs: 1,
      onStatus: (r) => seen.push(r.status),
    });
    expect(result).toMatchObject({ timedOut: false, request: { status: 'Provisioned' } });
    expect(seen).toEqual(['PendingProvisioning', 'PendingProvisioning', 'Provisioned']);
  });

  it('stops at a failure whatever it waits for', async () => {
    const { client } = clientAnswering(['Denied']);
    const result = await followRequest(client, 'role', request('PendingApproval'), {
      until: ['done'],
      intervalMs: 1,
      onStatus: () => {},
    });
    expect(result.request.status).toBe('Denied');
  });

  it('returns at the deadline with the last answer', async () => {
    const { client, calls } = clientAnswering(['PendingApproval']);
    const result = await followRequest(client, 'role', request('PendingApproval'), {
      until: ['done'],
      timeoutMs: 30,
      intervalMs: 5,
      onStatus: () => {},
    });
    expect(result).toMatchObject({ timedOut: true, request: { status: 'PendingApproval' } });
    expect(calls()).toBeGreaterThan(0);
  });

  it('does not poll at all when the first answer is already wanted', async () => {
    const { client, calls } = clientAnswering(['Provisioned']);
    await followRequest(client, 'role', request('PendingApproval'), {
      until: ['done', 'approval'],
      onStatus: () => {},
    });
    expect(calls()).toBe(0);
  });
});
