// Activate (or extend) a role or group: the form asks for what the target's policy needs (duration up
// to its maximum; justification and ticket only when required), then follows the request through MFA
// and approval until it is provisioned.
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  makeStyles,
  Spinner,
  Textarea,
  tokens,
} from '@fluentui/react-components';
import { useState } from 'react';
import { describeMinutes, minutesToIso } from '../api/duration';
import { pim, policyIdOf, type ScheduleRequest, type Target, targetBody } from '../api/pim';
import { activationRules, getPolicy } from '../api/policy';
import { useSession } from '../auth/session';
import { ErrorBar } from '../components/ErrorBar';
import { useLoad } from '../components/useLoad';
import { RequestProgress } from './RequestProgress';

const useStyles = makeStyles({
  // The form's children are the dialog body's grid items (content, then actions).
  formContents: { display: 'contents' },
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  row: { display: 'flex', gap: tokens.spacingHorizontalM },
});

export interface ActivateDialogProps {
  open: boolean;
  target: Target;
  action: 'selfActivate' | 'selfExtend';
  name: string;
  onClose(): void;
}

export function ActivateDialog({ open, target, action, name, onClose }: ActivateDialogProps) {
  const [request, setRequest] = useState<ScheduleRequest>();
  const verb = action === 'selfActivate' ? 'Activate' : 'Extend';
  return (
    <Dialog open={open} modalType="modal" onOpenChange={(_, data) => (data.open ? undefined : onClose())}>
      <DialogSurface aria-describedby={undefined}>
        <DialogBody>
          <DialogTitle>
            {verb} {name}
          </DialogTitle>
          {request ? (
            <RequestProgress kind={target.kind} initial={request} onClose={onClose} />
          ) : (
            <ActivationForm
              target={target}
              action={action}
              verb={verb}
              onSubmitted={setRequest}
              onClose={onClose}
            />
          )}
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

function ActivationForm(props: {
  target: Target;
  action: 'selfActivate' | 'selfExtend';
  verb: string;
  onSubmitted(request: ScheduleRequest): void;
  onClose(): void;
}) {
  const styles = useStyles();
  const session = useSession();
  const policy = useLoad(async () => activationRules(await getPolicy(policyIdOf(props.target))));
  const [hours, setHours] = useState<string>();
  const [justification, setJustification] = useState('');
  const [ticketNumber, setTicketNumber] = useState('');
  const [ticketSystem, setTicketSystem] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  if (policy.error) return <ErrorBar error={policy.error} />;
  if (!policy.value) return <Spinner label="Reading the policy" />;
  const rules = policy.value;
  const maxHours = rules.maxMinutes / 60;
  const duration = hours ?? String(maxHours);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const request = await pim.submit(props.target.kind, {
        // Extending a live activation is a second selfActivate: the service moves its end (Graph's
        // selfExtend asks an admin about an assignment instead).
        action: 'selfActivate',
        principalId: session.me.id,
        ...targetBody(props.target),
        ...(justification.trim() ? { justification: justification.trim() } : {}),
        ...(ticketNumber.trim()
          ? { ticketInfo: { ticketNumber: ticketNumber.trim(), ticketSystem: ticketSystem.trim() || null } }
          : {}),
        scheduleInfo: {
          expiration: { type: 'afterDuration', duration: minutesToIso(Math.round(Number(duration) * 60)) },
        },
      });
      props.onSubmitted(request);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form className={styles.formContents} onSubmit={(e) => void submit(e)} aria-label={`${props.verb} form`}>
      <DialogContent className={styles.form}>
        <Field
          label="Duration (hours)"
          hint={`At most ${describeMinutes(rules.maxMinutes)} (the policy's maximum).`}
          required
        >
          <Input
            type="number"
            min={0.25}
            max={maxHours}
            step={0.25}
            value={duration}
            onChange={(_, data) => setHours(data.value)}
          />
        </Field>
        {rules.justification ? (
          <Field
            label="Justification"
            required
            hint="Why you need it; the approvers and the audit log see it."
          >
            <Textarea value={justification} onChange={(_, data) => setJustification(data.value)} required />
          </Field>
        ) : null}
        {rules.ticket ? (
          <div className={styles.row}>
            <Field label="Ticket number" required>
              <Input value={ticketNumber} onChange={(_, data) => setTicketNumber(data.value)} required />
            </Field>
            <Field label="Ticket system">
              <Input value={ticketSystem} onChange={(_, data) => setTicketSystem(data.value)} />
            </Field>
          </div>
        ) : null}
        {rules.mfa && session.mfa === false ? (
          <MessageBar intent="info">
            <MessageBarBody>
              The policy wants multifactor authentication: you will be asked for a code from your
              authenticator app.
            </MessageBarBody>
          </MessageBar>
        ) : null}
        {rules.approval ? (
          <MessageBar intent="info">
            <MessageBarBody>This needs an approver's yes before it becomes active.</MessageBarBody>
          </MessageBar>
        ) : null}
        <ErrorBar error={error} />
      </DialogContent>
      <DialogActions>
        <Button type="submit" appearance="primary" disabled={busy}>
          {busy ? 'Submitting…' : props.verb}
        </Button>
        <Button onClick={props.onClose}>Cancel</Button>
      </DialogActions>
    </form>
  );
}
