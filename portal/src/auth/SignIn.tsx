// The sign-in page: "Sign in with Microsoft" (MSAL) where the deployment has a portal app
// registration, and, only while the dev issuer is on, a picker of the demo users.
import {
  Button,
  Card,
  CardHeader,
  Checkbox,
  makeStyles,
  Radio,
  RadioGroup,
  Spinner,
  Text,
  tokens,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { ErrorBar } from '../components/ErrorBar';
import { type DemoUser, loadDemoUsers } from './config';
import { useSessionState } from './session';

const useStyles = makeStyles({
  page: { display: 'flex', justifyContent: 'center', padding: tokens.spacingVerticalXXXL },
  card: { width: '480px', maxWidth: '100%', padding: tokens.spacingHorizontalXL },
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  hint: { color: tokens.colorNeutralForeground2 },
});

export function SignIn() {
  const styles = useStyles();
  const { config, error } = useSessionState();
  useEffect(() => {
    document.title = 'Sign in | JIT Access';
  }, []);
  return (
    <main className={styles.page}>
      <Card className={styles.card}>
        <CardHeader
          header={
            <Text as="h1" size={600} weight="semibold">
              Sign in to JIT Access
            </Text>
          }
          description={<Text className={styles.hint}>Privileged Identity Management</Text>}
        />
        <ErrorBar error={error} />
        {config?.msal ? <MsalSignIn /> : null}
        {config?.devSignIn ? <DevSignIn /> : null}
        {config && !config.msal && !config.devSignIn ? (
          <Text>
            Sign-in is not configured on this service: set PORTAL_CLIENT_ID (and PORTAL_AUTHORITY,
            PORTAL_API_SCOPE) in the app's settings.
          </Text>
        ) : null}
      </Card>
    </main>
  );
}

function MsalSignIn() {
  const { config } = useSessionState();
  const [error, setError] = useState<unknown>();
  const signIn = async () => {
    const { signInWithMsal } = await import('./msal');
    if (config?.msal) await signInWithMsal(config.msal).catch(setError);
  };
  return (
    <>
      <Button appearance="primary" onClick={() => void signIn()}>
        Sign in with Microsoft
      </Button>
      <ErrorBar error={error} />
    </>
  );
}

function DevSignIn() {
  const styles = useStyles();
  const { signInAsDemoUser } = useSessionState();
  const [users, setUsers] = useState<DemoUser[]>();
  const [user, setUser] = useState('alex');
  const [mfa, setMfa] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    loadDemoUsers().then(setUsers, setError);
  }, []);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await signInAsDemoUser({ user, mfa });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  if (!users) return error ? <ErrorBar error={error} /> : <Spinner label="Loading demo users" />;
  return (
    <form className={styles.form} onSubmit={(e) => void submit(e)} aria-label="Sign in as a demo user">
      <Text className={styles.hint}>
        This service runs with its local dev issuer: sign in as one of the demo users.
      </Text>
      <RadioGroup aria-label="Demo user" value={user} onChange={(_, data) => setUser(data.value)}>
        {users.map((u) => (
          <Radio key={u.key} value={u.key} label={`${u.displayName} (${u.jobTitle})`} />
        ))}
      </RadioGroup>
      <Checkbox
        checked={mfa}
        onChange={(_, data) => setMfa(data.checked === true)}
        label="Signed in with MFA (the token proves multifactor authentication)"
      />
      <ErrorBar error={error} />
      <Button type="submit" appearance="primary" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </Button>
    </form>
  );
}
