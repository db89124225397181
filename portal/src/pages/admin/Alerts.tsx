// PIM alerts, as the Entra admin center shows them: each active alert with its severity, what it
// means and how to fix it, and its incidents; admins refresh, dismiss, and remediate an incident
// where a fix is defined. Readers see the same without the buttons.
import {
  Badge,
  Button,
  Card,
  CardHeader,
  makeStyles,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import { useState } from 'react';
import { type Alert, type AlertDefinition, alerts, type Incident } from '../../api/alerts';
import { useSession } from '../../auth/session';
import { ErrorBar } from '../../components/ErrorBar';
import { Page } from '../../components/Page';
import { useLoad } from '../../components/useLoad';

const useStyles = makeStyles({
  actions: { display: 'flex', gap: tokens.spacingHorizontalS },
  text: { display: 'block', marginTop: tokens.spacingVerticalXS },
});

const COLOR = { high: 'danger', medium: 'warning', low: 'informative' } as const;

export function AdminAlerts() {
  const session = useSession();
  const data = useLoad(async () => {
    const [definitions, list] = await Promise.all([alerts.definitions(), alerts.list()]);
    return { definitions: new Map(definitions.map((d) => [d.id, d])), list };
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      await data.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const active = (data.value?.list ?? []).filter((a) => a.isActive);
  return (
    <Page
      title="Alerts"
      description="Privileged access that drifted: too many administrators, roles without MFA, standing or unused assignments, stale accounts."
    >
      {session.isAdmin ? (
        <div>
          <Button disabled={busy} onClick={() => act(alerts.refresh)}>
            Refresh
          </Button>
        </div>
      ) : null}
      <ErrorBar error={data.error ?? error} />
      {data.loading && !data.value ? <Spinner label="Loading alerts" /> : null}
      {data.value && active.length === 0 ? <Text>No active alerts.</Text> : null}
      {active.map((a) => {
        const definition = data.value?.definitions.get(a.alertDefinitionId);
        return definition ? (
          <AlertCard
            key={a.id}
            alert={a}
            definition={definition}
            canAct={session.isAdmin && !busy}
            act={act}
          />
        ) : null;
      })}
    </Page>
  );
}

function AlertCard(props: {
  alert: Alert;
  definition: AlertDefinition;
  canAct: boolean;
  act: (action: () => Promise<unknown>) => Promise<void>;
}) {
  const styles = useStyles();
  const { alert, definition, canAct, act } = props;
  const incidents = useLoad(() => alerts.incidents(alert.id), `${alert.id}|${alert.incidentCount}`);
  return (
    <Card aria-label={definition.displayName}>
      <CardHeader
        header={
          <Text weight="semibold" size={400}>
            {definition.displayName}
          </Text>
        }
        description={
          <Badge appearance="tint" color={COLOR[definition.severityLevel]}>
            {definition.severityLevel} · {alert.incidentCount} incident(s)
          </Badge>
        }
        action={
          canAct ? <Button onClick={() => act(() => alerts.dismiss(alert.id))}>Dismiss</Button> : undefined
        }
      />
      <Text className={styles.text}>{definition.securityImpact}</Text>
      <Text className={styles.text}>
        <strong>Fix:</strong> {definition.mitigationSteps}
      </Text>
      <ErrorBar error={incidents.error} />
      <Table size="small" aria-label={`Incidents of ${definition.displayName}`}>
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Who</TableHeaderCell>
            <TableHeaderCell>Role</TableHeaderCell>
            <TableHeaderCell>Details</TableHeaderCell>
            <TableHeaderCell />
          </TableRow>
        </TableHeader>
        <TableBody>
          {(incidents.value ?? []).map((i) => (
            <TableRow key={i.id}>
              <TableCell>{String(i.assigneeDisplayName ?? i.assigneeId ?? '-')}</TableCell>
              <TableCell>{String(i.roleDisplayName ?? '-')}</TableCell>
              <TableCell>{details(i)}</TableCell>
              <TableCell>
                {canAct && definition.isRemediatable ? (
                  <Button size="small" onClick={() => act(() => alerts.remediate(alert.id, i.id))}>
                    Remediate
                  </Button>
                ) : null}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Card>
  );
}

function details(i: Incident): string {
  if (typeof i.activationCount === 'number') return `${i.activationCount} activations`;
  if (i.lastSignInDateTime) return `last sign-in ${String(i.lastSignInDateTime).slice(0, 10)}`;
  if (i.assignmentCreatedDateTime) return `assigned ${String(i.assignmentCreatedDateTime).slice(0, 10)}`;
  return '';
}
