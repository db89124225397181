// Connectors and subscriptions: where grants are carried out (grant connectors) and who hears about
// PIM events (notification subscriptions): the lists, adding one (a webhook connector; a subscription)
// and removing one.
import {
  Button,
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
import { api, V1 } from '../../api/client';
import { ErrorBar } from '../../components/ErrorBar';
import { useNames } from '../../components/names';
import { Page } from '../../components/Page';
import { useLoad } from '../../components/useLoad';
import { AddConnector, AddSubscription } from './IntegrationForms';

interface Connector {
  id: string;
  displayName: string;
  kind?: string;
  target?: { kind: 'role' | 'group'; roleDefinitionId?: string; groupId?: string };
}

interface Subscription {
  id: string;
  url: string;
  events: string[];
}

const useStyles = makeStyles({
  section: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
});

export function AdminIntegrations() {
  const styles = useStyles();
  const names = useNames();
  const data = useLoad(async () => {
    const [connectors, subscriptions] = await Promise.all([
      api<{ value: Connector[] }>(`${V1}/grantConnectors`),
      api<{ value: Subscription[] }>(`${V1}/notificationSubscriptions`),
    ]);
    return { connectors: connectors.value, subscriptions: subscriptions.value };
  });
  const [error, setError] = useState<unknown>();
  const remove = async (path: string) => {
    setError(undefined);
    try {
      await api(path, { method: 'DELETE' });
      await data.reload();
    } catch (err) {
      setError(err);
    }
  };
  const target = (c: Connector) => {
    const t = c.target;
    if (t?.roleDefinitionId)
      return names.value?.roles.find((r) => r.id === t.roleDefinitionId)?.displayName ?? t.roleDefinitionId;
    return names.value?.groups.find((g) => g.id === t?.groupId)?.displayName ?? t?.groupId ?? '';
  };
  return (
    <Page
      title="Connectors and subscriptions"
      description="Where grants are carried out, and who is told about PIM events."
    >
      <ErrorBar error={data.error ?? error} />
      {!data.value ? (
        data.error ? null : (
          <Spinner label="Loading" />
        )
      ) : (
        <>
          <div className={styles.section}>
            <Text as="h2" size={500} weight="semibold" id="connectors-heading">
              Grant connectors
            </Text>
            {names.value ? <AddConnector names={names.value} onAdded={data.reload} /> : null}
            <Table aria-labelledby="connectors-heading" size="small">
              <TableHeader>
                <TableRow>
                  <TableHeaderCell>Name</TableHeaderCell>
                  <TableHeaderCell>Kind</TableHeaderCell>
                  <TableHeaderCell>Role or group</TableHeaderCell>
                  <TableHeaderCell>Manage</TableHeaderCell>
                </TableRow>
              </TableHeader>
              <TableBody>
                {data.value.connectors.length === 0 ? (
                  <TableRow>
                    <TableCell colSpan={4}>No grant connectors.</TableCell>
                  </TableRow>
                ) : null}
                {data.value.connectors.map((c) => (
                  <TableRow key={c.id}>
                    <TableCell>{c.displayName}</TableCell>
                    <TableCell>{c.kind ?? 'webhook'}</TableCell>
                    <TableCell>{target(c)}</TableCell>
                    <TableCell>
                      <Button size="small" onClick={() => void remove(`${V1}/grantConnectors/${c.id}`)}>
                        Remove
                      </Button>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </div>
          <div className={styles.section}>
            <Text as="h2" size={500} weight="semibold" id="subscriptions-heading">
              Notification subscriptions
            </Text>
            <AddSubscription onAdded={data.reload} />
            <Table aria-labelledby="subscriptions-heading" size="small">
              <TableHeader>
                <TableRow>
                  <TableHeaderCell>URL</TableHeaderCell>
                  <TableHeaderCell>Events</TableHeaderCell>
                  <TableHeaderCell>Manage</TableHeaderCell>
                </TableRow>
              </TableHeader>
              <TableBody>
                {data.value.subscriptions.length === 0 ? (
                  <TableRow>
                    <TableCell colSpan={3}>No subscriptions.</TableCell>
                  </TableRow>
                ) : null}
                {data.value.subscriptions.map((s) => (
                  <TableRow key={s.id}>
                    <TableCell>{s.url}</TableCell>
                    <TableCell>{s.events.join(', ')}</TableCell>
                    <TableCell>
                      <Button
                        size="small"
                        onClick={() => void remove(`${V1}/notificationSubscriptions/${s.id}`)}
                      >
                        Remove
                      </Button>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </div>
        </>
      )}
    </Page>
  );
}
