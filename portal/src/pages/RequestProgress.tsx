// A request on its way: submitted -> MFA (a code from the authenticator) -> approval -> active.
// Polls the request until it settles.
import {
  Button,
  DialogActions,
  DialogContent,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  makeStyles,
  Spinner,
  tokens,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { formatDateTime } from '../api/duration';
import { type Kind, pim, type ScheduleRequest } from '../api/pim';
import { ErrorBar } from '../components/ErrorBar';

const SETTLED = new Set(['Provisioned', 'Denied', 'Canceled', 'Failed', 'Revoked', 'TimedOut', 'Expired']);
const POLL_MS = 1500;

const useStyles = makeStyles({
  steps: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS, paddingLeft: 0 },
  step: { listStyle: 'none' },
  form: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'end' },
});

export function RequestProgress({
  kind,
  initial,
  onClose,
}: {
  kind: Kind;
  initial: ScheduleRequest;
  onClose(): void;
}) {
  const styles = useStyles();
  const [request, setRequest] = useState(initial);
  const [error, setError] = useState<unknown>();
  const settled = SETTLED.has(request.status);

  useEffect(() => {
    if (settled) return;
    const timer = setTimeout(async () => {
      try {
        setRequest(await pim.request(kind, request.id));
      } catch (err) {
        setError(err);
      }
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [kind, request, settled]);

  const cancel = async () => {
    try {
      await pim.cancel(kind, request.id);
      setRequest(await pim.request(kind, request.id));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <DialogContent>
        <output aria-live="polite" data-testid="request-status" data-status={request.status}>
          <MessageBar intent={intentOf(request.status)} layout="multiline">
            <MessageBarBody>
              <MessageBarTitle>{titleOf(request.status)}</MessageBarTitle>
              {describe(request)}
            </MessageBarBody>
          </MessageBar>
        </output>
        <ol className={styles.steps} aria-label="Progress">
          <li className={styles.step}>✓ Request submitted ({formatDateTime(request.createdDateTime)})</li>
          <li className={styles.step}>{mark(request.status, 'PendingMfa')} Multifactor authentication</li>
          <li className={styles.step}>{mark(request.status, 'PendingApproval')} Approval</li>
          <li className={styles.step}>{request.status === 'Provisioned' ? '✓' : '…'} Active</li>
        </ol>
        {request.status === 'PendingMfa' ? (
          <MfaCode kind={kind} requestId={request.id} onVerified={setRequest} />
        ) : null}
        {!settled && !request.status.startsWith('Pending') ? <Spinner size="tiny" label="Working" /> : null}
        <ErrorBar error={error} />
      </DialogContent>
      <DialogActions>
        {request.status === 'PendingApproval' || request.status === 'PendingMfa' ? (
          <Button onClick={() => void cancel()}>Cancel request</Button>
        ) : null}
        <Button appearance={settled ? 'primary' : 'secondary'} onClick={onClose}>
          {settled ? 'Done' : 'Close'}
        </Button>
      </DialogActions>
    </>
  );
}

const ORDER = ['PendingMfa', 'PendingApproval', 'Provisioned'];

/** ✓ once the request is past `step`, … while it waits there (or before). */
function mark(status: string, step: string): string {
  const at = ORDER.indexOf(status);
  if (at < 0) return status === 'Granted' || status === 'PendingProvisioning' ? '✓' : '·';
  return at > ORDER.indexOf(step) ? '✓' : '…';
}

function intentOf(status: string): 'success' | 'info' | 'error' | 'warning' {
  if (status === 'Provisioned') return 'success';
  if (status === 'Denied' || status === 'Failed' || status === 'TimedOut') return 'error';
  if (status === 'Canceled' || status === 'Revoked' || status === 'Expired') return 'warning';
  return 'info';
}

const TITLES: Record<string, string> = {
  PendingMfa: 'Waiting for your MFA code',
  PendingApproval: 'Waiting for approval',
  Provisioned: 'Active',
  Denied: 'Denied',
  Canceled: 'Canceled',
  TimedOut: 'Timed out',
};

const titleOf = (status: string) => TITLES[status] ?? status;

function describe(r: ScheduleRequest): string {
  if (r.status === 'Provisioned') {
    const end = r.scheduleInfo?.expiration?.endDateTime;
    return end ? `Active until ${formatDateTime(end)}.` : 'Active now.';
  }
  if (r.status === 'PendingApproval') return 'An approver has been asked; this page follows the request.';
  if (r.status === 'PendingMfa') return 'Enter the 6-digit code from your authenticator app.';
  return `Status: ${r.status}.`;
}

function MfaCode(props: { kind: Kind; requestId: string; onVerified(r: ScheduleRequest): void }) {
  const styles = useStyles();
  const [otp, setOtp] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await pim.verifyMfa(props.kind, props.requestId, otp.trim());
      props.onVerified(await pim.request(props.kind, props.requestId));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Verify MFA">
      <div className={styles.form}>
        <Field label="Authenticator code" required>
          <Input
            value={otp}
            onChange={(_, data) => setOtp(data.value)}
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            required
          />
        </Field>
        <Button type="submit" appearance="primary" disabled={busy}>
          Verify
        </Button>
      </div>
      <ErrorBar error={error} />
    </form>
  );
}
