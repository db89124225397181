// One interface for every lifecycle notice (activation requested, approved, denied, activated,
// expiring soon, deactivated, expired, revoked, eligibility and active assignment changes by admins,
// a connector that gave up, an admin change proposed or bypassed under the two-person rule, a PIM
// alert that became active).
// Mail and webhook channels sit behind it (./channels); with none configured notices are logged.
// A failing channel never throws into a grant or a revoke: send() reports, it does not fail.
import type { Target } from '../domain/schedules';

export type NoticeEvent =
  | 'eligibilityAssigned'
  | 'eligibilityRemoved'
  | 'assignmentAssigned'
  | 'assignmentRemoved'
  | 'renewalRequested'
  | 'activationRequested'
  | 'approved'
  | 'denied'
  | 'activated'
  | 'expiringSoon'
  | 'deactivated'
  | 'expired'
  | 'revoked'
  | 'connectorFailed'
  // The two-person rule (shared/services/admin-changes.ts): a change waits for a second admin, or a
  // Global Administrator bypassed the rule (break-glass).
  | 'adminChangeProposed'
  | 'adminChangeBypassed'
  | 'alertRaised';

export const NOTICE_EVENTS: readonly NoticeEvent[] = [
  'eligibilityAssigned',
  'eligibilityRemoved',
  'assignmentAssigned',
  'assignmentRemoved',
  'renewalRequested',
  'activationRequested',
  'approved',
  'denied',
  'activated',
  'expiringSoon',
  'deactivated',
  'expired',
  'revoked',
  'connectorFailed',
  'adminChangeProposed',
  'adminChangeBypassed',
  'alertRaised',
];

export interface Notice {
  event: NoticeEvent;
  /** Request or schedule the notice is about; with `event` it makes the delivery idempotent. */
  subjectId: string;
  principalId: string;
  /** e.g. the role's or group's display name and the scope. */
  targetDisplayName: string;
  endDateTime?: string;
  by?: string;
  justification?: string;
  ticketNumber?: string;
  /** The role or group (ids), when the notice is about one. */
  target?: Target;
  /** When it happened (the orchestration's time). */
  at?: string;
  /** What the request said, so that the notice needs no read of it. */
  request?: {
    startDateTime?: string | null;
    ticketSystem?: string | null;
    approval?: {
      id: string;
      stepId: string;
      expiresDateTime: string;
      approverIds: string[];
      reviewJustification: string | null;
    };
  };
  /**
   * A later round of the same event about the same request (the next approval stage, an escalation):
   * it makes the notice a delivery of its own.
   */
  round?: string;
  /** For connectorFailed: which connector, and whether the grant or the revoke failed. */
  connector?: { id: string; displayName: string; action: 'grant' | 'extend' | 'revoke'; error: string };
  /** For alertRaised: the PIM alert that became active (roleManagementAlerts). */
  alert?: { id: string; displayName: string; severityLevel: string; incidentCount: number };
}

export interface DeliveryReport {
  channel: string;
  delivered: boolean;
  error?: string;
}

export interface Notifier {
  send(notice: Notice): Promise<DeliveryReport[]>;
}

/** Writes one line per notice; the default until mail and webhooks exist. */
export class LogNotifier implements Notifier {
  constructor(private readonly log: (line: string) => void = (line) => console.log(line)) {}

  async send(notice: Notice): Promise<DeliveryReport[]> {
    const parts = [
      `[notify] ${notice.event}`,
      `subject=${notice.subjectId}`,
      `principal=${notice.principalId}`,
    ];
    parts.push(`target="${notice.targetDisplayName}"`);
    if (notice.endDateTime) parts.push(`end=${notice.endDateTime}`);
    if (notice.by) parts.push(`by=${notice.by}`);
    this.log(parts.join(' '));
    return [{ channel: 'log', delivered: true }];
  }
}

let current: Notifier = new LogNotifier();

export function notifier(): Notifier {
  return current;
}

/** Lets the composition root (or a test) choose the channels. */
export function useNotifier(next: Notifier): void {
  current = next;
}
