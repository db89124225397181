// The approval's stages as pure data (shared/domain/activation.ts): N-of-M counting, the walk from
// stage to stage, escalation and the deadline it sets, and which stage a decision is about.
import { describe, expect, it } from 'vitest';
import {
  ApprovalStageRecord,
  approvalDeadline,
  approvalsIn,
  closedApproval,
  decided,
  escalated,
  newApproval,
  stageOf,
} from '../../shared/domain/activation';
import type { ApprovalStage } from '../../shared/domain/policy';

const T0 = new Date('2026-01-05T09:00:00Z');
const policyStage = (over: Partial<ApprovalStage> = {}): ApprovalStage => ({
  approvalStageTimeOutInDays: 1,
  isApproverJustificationRequired: false,
  escalationTimeInMinutes: 0,
  isEscalationEnabled: false,
  primaryApprovers: [],
  escalationApprovers: [],
  ...over,
});
const reviewer = (id: string) => ({ id, displayName: id.toUpperCase() });
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

describe('approval stages', () => {
  const twoStages = () =>
    newApproval(
      'r',
      [policyStage({ approverCountRequired: 2 }), policyStage({ approvalStageTimeOutInDays: 2 })],
      [
        { primary: ['a', 'b', 'c'], escalation: [] },
        { primary: ['d'], escalation: [] },
      ],
      T0,
    );

  it('starts the first stage only, expiring after its timeout', () => {
    const approval = twoStages();
    expect(approval.stages.map((s) => s.status)).toEqual(['InProgress', 'NotStarted']);
    expect(approval.expiresDateTime).toBe('2026-01-06T09:00:00.000Z');
    expect(approval.stages.map((s) => s.id)).toEqual(['r-1', 'r-2']);
  });

  it('completes a stage at its N-th approval and starts the next, with its own timeout', () => {
    const one = decided(twoStages(), 'r-1', {
      reviewResult: 'Approve',
      reviewer: reviewer('a'),
      justification: null,
      at: at(5),
    });
    expect(one.stageCompleted).toBe(false);
    expect(one.approval.stages[0]).toMatchObject({ status: 'InProgress', reviewResult: 'NotReviewed' });
    const two = decided(one.approval, 'r-1', {
      reviewResult: 'Approve',
      reviewer: reviewer('b'),
      justification: 'ok',
      at: at(10),
    });
    expect(two).toMatchObject({ stageCompleted: true, nextStage: 1 });
    expect(two.approval.stages[0]).toMatchObject({ status: 'Completed', reviewResult: 'Approve' });
    expect(approvalsIn(two.approval.stages[0]!)).toBe(2);
    expect(two.approval.stages[1]).toMatchObject({
      status: 'InProgress',
      startedDateTime: at(10).toISOString(),
    });
    expect(two.approval.expiresDateTime).toBe(new Date(at(10).getTime() + 2 * 86_400_000).toISOString());
  });

  it('ends at a deny, whatever the count', () => {
    const denied = decided(twoStages(), 'r-1', {
      reviewResult: 'Deny',
      reviewer: reviewer('c'),
      justification: 'no',
      at: at(1),
    });
    expect(denied.stageCompleted).toBe(true);
    expect(denied.nextStage).toBeUndefined();
    expect(denied.approval.stages[0]).toMatchObject({ status: 'Completed', reviewResult: 'Deny' });
    expect(closedApproval(denied.approval, 'Canceled')!.stages[1]!.status).toBe('Canceled');
  });

  it('counts one person once', () => {
    let approval = twoStages();
    for (const minute of [1, 2])
      approval = decided(approval, 'r-1', {
        reviewResult: 'Approve',
        reviewer: reviewer('a'),
        justification: null,
        at: at(minute),
      }).approval;
    expect(approvalsIn(approval.stages[0]!)).toBe(1);
  });

  it('escalates after escalationTimeInMinutes: the deadline is the escalation, then the stage end', () => {
    const approval = newApproval(
      'r',
      [policyStage({ isEscalationEnabled: true, escalationTimeInMinutes: 30 })],
      [{ primary: ['a'], escalation: ['e'] }],
      T0,
    );
    expect(approvalDeadline(approval)).toBe(at(30).toISOString());
    const { approval: after, added } = escalated(approval, at(30));
    expect(added).toEqual(['e']);
    expect(after.stages[0]!.approverIds).toEqual(['a', 'e']);
    expect(approvalDeadline(after)).toBe(after.expiresDateTime);
  });

  it('finds the stage a decision is about: the one asking the approver, else the one they decided', () => {
    const one = decided(twoStages(), 'r-1', {
      reviewResult: 'Approve',
      reviewer: reviewer('a'),
      justification: null,
      at: at(1),
    }).approval;
    const two = decided(one, 'r-1', {
      reviewResult: 'Approve',
      reviewer: reviewer('b'),
      justification: null,
      at: at(2),
    }).approval;
    expect(stageOf(two, undefined, 'd')?.id).toBe('r-2');
    expect(stageOf(two, undefined, 'a')?.id).toBe('r-1');
    expect(stageOf(two, undefined, 'c')?.id).toBe('r-1'); // named in stage 1 only: told it is decided
    expect(stageOf(two, 'r-1', 'd')?.id).toBe('r-1');
  });

  it('reads rows written before multi-stage approval as a started one-of-M stage', () => {
    const old = ApprovalStageRecord.parse({
      id: 'r-1',
      status: 'InProgress',
      reviewResult: 'NotReviewed',
      reviewedBy: null,
      reviewedDateTime: null,
      justification: null,
      approverIds: ['a'],
      isApproverJustificationRequired: true,
    });
    expect(old).toMatchObject({ approverCountRequired: 1, decisions: [], escalationTimeInMinutes: null });
  });
});
