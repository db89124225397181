// Adding a grant connector (a signed webhook for a role or group) and a notification subscription.
// Secrets go to the service once and are never shown again (it seals them at rest).
import { Button, Checkbox, Field, Input, makeStyles, Select, tokens } from '@fluentui/react-components';
import { useState } from 'react';
import { NOTICE_EVENTS } from '../../../../shared/notify/notifier';
import { api, V1 } from '../../api/client';
import { ErrorBar } from '../../components/ErrorBar';
import type { Names } from '../../components/names';

const useStyles = makeStyles({
  form: { display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalM, alignItems: 'end' },
  events: {
    display: 'flex',
    flexWrap: 'wrap',
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    flexBasis: '100%',
    margin: 0,
  },
  legend: { fontWeight: tokens.fontWeightSemibold },
  full: { flexBasis: '100%' },
});

/** The events a subscription may ask for: the service's own list, so the two cannot drift. */
const EVENTS = NOTICE_EVENTS;

export function AddConnector({ names, onAdded }: { names: Names; onAdded(): Promise<void> }) {
  const styles = useStyles();
  const targets = [
    ...names.roles.map((r) => ({
      key: `role:${r.id}`,
      label: `Role: ${r.displayName}`,
      body: { roleDefinitionId: r.id },
    })),
    ...names.groups.map((g) => ({
      key: `group:${g.id}`,
      label: `Group: ${g.displayName}`,
      body: { groupId: g.id },
    })),
  ];
  const [displayName, setDisplayName] = useState('');
  const [target, setTarget] = useState(targets[0]?.key ?? '');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<unknown>();
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await api(`${V1}/grantConnectors`, {
        method: 'POST',
        body: { displayName, kind: 'webhook', url, secret, ...targets.find((t) => t.key === target)?.body },
      });
      setDisplayName('');
      setUrl('');
      setSecret('');
      await onAdded();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className={styles.form} onSubmit={(e) => void add(e)} aria-label="Add a webhook connector">
      <Field label="Name" required>
        <Input value={displayName} onChange={(_, d) => setDisplayName(d.value)} required />
      </Field>
      <Field label="For">
        <Select value={target} onChange={(_, d) => setTarget(d.value)}>
          {targets.map((t) => (
            <option key={t.key} value={t.key}>
              {t.label}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Webhook URL" required>
        <Input type="url" value={url} onChange={(_, d) => setUrl(d.value)} required />
      </Field>
      <SigningSecretField value={secret} onChange={setSecret} />
      <Button type="submit" appearance="primary">
        Add connector
      </Button>
      <div className={styles.full}>
        <ErrorBar error={error} />
      </div>
    </form>
  );
}

export function AddSubscription({ onAdded }: { onAdded(): Promise<void> }) {
  const styles = useStyles();
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [format, setFormat] = useState('json');
  const [events, setEvents] = useState<string[]>([...EVENTS]);
  const [error, setError] = useState<unknown>();
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await api(`${V1}/notificationSubscriptions`, { method: 'POST', body: { url, secret, format, events } });
      setUrl('');
      setSecret('');
      await onAdded();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className={styles.form} onSubmit={(e) => void add(e)} aria-label="Add a subscription">
      <Field label="URL" required>
        <Input type="url" value={url} onChange={(_, d) => setUrl(d.value)} required />
      </Field>
      <SigningSecretField value={secret} onChange={setSecret} />
      <Field label="Format">
        <Select value={format} onChange={(_, d) => setFormat(d.value)}>
          <option value="json">JSON</option>
          <option value="teams">Microsoft Teams</option>
          <option value="slack">Slack</option>
        </Select>
      </Field>
      <fieldset className={styles.events}>
        <legend className={styles.legend}>Events</legend>
        {EVENTS.map((ev) => (
          <Checkbox
            key={ev}
            label={ev}
            checked={events.includes(ev)}
            onChange={(_, d) =>
              setEvents(d.checked === true ? [...events, ev] : events.filter((x) => x !== ev))
            }
          />
        ))}
      </fieldset>
      <Button type="submit" appearance="primary">
        Add subscription
      </Button>
      <div className={styles.full}>
        <ErrorBar error={error} />
      </div>
    </form>
  );
}

/** The shared secret a connector or subscription signs its calls with (sent once, never shown again). */
function SigningSecretField({ value, onChange }: { value: string; onChange(value: string): void }) {
  return (
    <Field label="Signing secret (16+ characters)" required>
      <Input type="password" value={value} onChange={(_, d) => onChange(d.value)} minLength={16} required />
    </Field>
  );
}
