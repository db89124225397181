// Security info: the caller's TOTP authenticator, which proves MFA for an activation when the sign-in
// did not (the request then waits in PendingMfa for a code). Enrolling and removing it need a sign-in
// with MFA; the service says so when it is missing.
import {
  Button,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  makeStyles,
  Spinner,
  Text,
  tokens,
} from '@fluentui/react-components';
import { useState } from 'react';
import { api, V1 } from '../api/client';
import { ErrorBar } from '../components/ErrorBar';
import { Page } from '../components/Page';
import { useLoad } from '../components/useLoad';

const TOTP = `${V1}/me/authenticators/totp`;

const useStyles = makeStyles({
  column: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, maxWidth: '640px' },
  row: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'end' },
  secret: { fontFamily: tokens.fontFamilyMonospace, wordBreak: 'break-all' },
});

export function SecurityInfo() {
  const styles = useStyles();
  const state = useLoad(() => api<{ isEnabled: boolean }>(TOTP));
  const [enrolment, setEnrolment] = useState<{ secret: string; otpauthUri: string }>();
  const [otp, setOtp] = useState('');
  const [error, setError] = useState<unknown>();
  const run = async (action: () => Promise<void>) => {
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err);
    }
  };
  const enrol = () => run(async () => setEnrolment(await api(TOTP, { method: 'POST' })));
  const confirm = (e: React.FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api(`${TOTP}/confirm`, { method: 'POST', body: { otp: otp.trim() } });
      setEnrolment(undefined);
      setOtp('');
      await state.reload();
    });
  };
  const remove = () =>
    run(async () => {
      await api(TOTP, { method: 'DELETE' });
      await state.reload();
    });

  return (
    <Page
      title="Security info"
      description="An authenticator app proves multifactor authentication when an activation needs it."
    >
      <ErrorBar error={state.error ?? error} />
      {!state.value ? (
        state.error ? null : (
          <Spinner label="Loading" />
        )
      ) : (
        <div className={styles.column}>
          <Text as="h2" size={500} weight="semibold">
            Authenticator app (TOTP)
          </Text>
          <output data-testid="totp-state">
            {state.value.isEnabled ? 'An authenticator app is set up.' : 'No authenticator app is set up.'}
          </output>
          {enrolment ? (
            <form className={styles.column} onSubmit={confirm} aria-label="Confirm the authenticator">
              <MessageBar intent="info" layout="multiline">
                <MessageBarBody>
                  Add this key to your authenticator app (it is shown only now), then enter the code it shows.
                </MessageBarBody>
              </MessageBar>
              <Field label="Secret key">
                <Text className={styles.secret} data-testid="totp-secret">
                  {enrolment.secret}
                </Text>
              </Field>
              <Field label="Setup link (otpauth)">
                <Text className={styles.secret}>{enrolment.otpauthUri}</Text>
              </Field>
              <div className={styles.row}>
                <Field label="Code from the app" required>
                  <Input
                    value={otp}
                    onChange={(_, d) => setOtp(d.value)}
                    inputMode="numeric"
                    autoComplete="one-time-code"
                    pattern="[0-9]{6}"
                    maxLength={6}
                    required
                  />
                </Field>
                <Button type="submit" appearance="primary">
                  Confirm
                </Button>
              </div>
            </form>
          ) : (
            <div className={styles.row}>
              <Button appearance="primary" onClick={() => void enrol()}>
                {state.value.isEnabled ? 'Replace the authenticator' : 'Set up an authenticator app'}
              </Button>
              {state.value.isEnabled ? <Button onClick={() => void remove()}>Remove</Button> : null}
            </div>
          )}
        </div>
      )}
    </Page>
  );
}
