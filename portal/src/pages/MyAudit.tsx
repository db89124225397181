// My audit history: what I did (requests, activations, decisions), newest first.
import { Spinner } from '@fluentui/react-components';
import { audit } from '../api/audit';
import { AuditTable } from '../components/AuditTable';
import { ErrorBar } from '../components/ErrorBar';
import { Page } from '../components/Page';
import { useLoad } from '../components/useLoad';

export function MyAudit() {
  const rows = useLoad(() => audit.mine());
  return (
    <Page title="My audit history" description="What you did in PIM, newest first (the last 100 entries).">
      <ErrorBar error={rows.error} />
      {rows.value ? (
        <AuditTable rows={rows.value} label="My audit history" />
      ) : rows.error ? null : (
        <Spinner label="Loading" />
      )}
    </Page>
  );
}
