// One interface for every lifecycle notice (activation requested, approved, denied, activated,
// expiring soon, deactivated, expired, revoked, eligibility changes). The notifications issue adds
// mail and webhook channels behind it; until then notices are logged (and audited by the caller).
// A failing channel never throws into a grant or a revoke: send() reports, it does not fail.

export type NoticeEvent =
  | 'eligibilityAssigned'
  | 'eligibilityRemoved'
  | 'activationRequested'
  | 'approved'
  | 'denied'
  | 'activated'
  | 'expiringSoon'
  | 'deactivated'
  | 'expired'
  | 'revoked';

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
