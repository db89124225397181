// What the activation orchestration receives, the events it waits for, and the activities it
// calls. Shared by the HTTP functions that start and signal it and by the activities that do I/O.

import type { RequestRecord } from '../shared/activation/record-request';
import type { NoticeEvent } from '../shared/notify/notifier';

export const ACTIVATION_ORCHESTRATOR = 'activation';

/** External events the orchestration waits for (raised by HTTP functions). */
export const ActivationEvent = {
  MfaVerified: 'MfaVerified',
  ApprovalDecided: 'ApprovalDecided',
  Cancel: 'Cancel',
  Deactivate: 'Deactivate',
  Extend: 'Extend',
  Revoke: 'Revoke',
} as const;

export type ActivationTarget =
  | { kind: 'role'; roleDefinitionId: string; directoryScopeId: string }
  | { kind: 'group'; groupId: string; accessId: 'member' | 'owner' };

export interface ActivationInput {
  requestId: string;
  principalId: string;
  target: ActivationTarget;
  /** Requested window length; the grant's end is computed when access is granted. */
  durationMs: number;
  justification?: string;
  ticket?: { ticketNumber?: string; ticketSystem?: string };
  /** True when the request's token already proved a fresh MFA. */
  mfaSatisfied: boolean;
  mfaTimeoutMs: number;
  approval?: { approvalId: string; timeoutMs: number };
  /** How long before the end the "expiring soon" reminder goes out. */
  reminderBeforeEndMs: number;
  /** The request (and approval) rows, written by the first step if the starter died before it could. */
  record?: RequestRecord;
  /**
   * Set when this request extends a live activation whose policy wants approval for extensions:
   * once approved, the new end is handed to that activation's orchestration instead of a grant.
   */
  extendsRequestId?: string;
}

export interface HandOverExtension {
  holderRequestId: string;
  extension: ExtendRequest;
}

export interface ApprovalDecision {
  reviewResult: 'Approve' | 'Deny';
  approverId: string;
  justification?: string;
}

export interface ExtendRequest {
  requestId: string;
  durationMs: number;
}

export interface RevokeRequest {
  by: string;
  reason: 'selfDeactivate' | 'adminRemove';
}

/** Final or intermediate statuses written to the request row (Graph's names plus our own). */
export type RequestStatus =
  | 'PendingMfa'
  | 'PendingApproval'
  | 'Granted'
  | 'Provisioned'
  | 'Denied'
  | 'Canceled'
  | 'TimedOut'
  | 'Revoked'
  | 'Expired'
  | 'Failed';

export interface StatusUpdate {
  requestId: string;
  /** The orchestration's time of the step (deterministic, so a re-run writes the same audit row). */
  at: string;
  status: RequestStatus;
  detail?: string;
  by?: string;
}

export interface GrantInput {
  requestId: string;
  principalId: string;
  target: ActivationTarget;
  startDateTime: string;
  endDateTime: string;
  justification?: string;
  ticket?: { ticketNumber?: string; ticketSystem?: string };
}

export interface RevokeInput {
  requestId: string;
  at: string;
  principalId: string;
  target: ActivationTarget;
  reason: 'expired' | 'selfDeactivate' | 'adminRemove';
  by?: string;
}

export interface LifecycleNotice {
  requestId: string;
  at: string;
  event: NoticeEvent;
  principalId: string;
  target: ActivationTarget;
  endDateTime?: string;
  by?: string;
}

export const Activity = {
  record: 'activation-record',
  setStatus: 'activation-setStatus',
  grant: 'activation-grant',
  revoke: 'activation-revoke',
  notify: 'activation-notify',
  /** Starts the grant connectors' own orchestrations; they never hold up the activation. */
  connectorsGrant: 'activation-connectorsGrant',
  connectorsExtend: 'activation-connectorsExtend',
  connectorsRevoke: 'activation-connectorsRevoke',
  handOverExtension: 'activation-handOverExtension',
} as const;
