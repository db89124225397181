// My requests: every activation, extension and deactivation I asked for, and where each stands;
// a pending one can be canceled.
import {
  Badge,
  Button,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
} from '@fluentui/react-components';
import { useState } from 'react';
import { formatDateTime } from '../api/duration';
import { pim, type ScheduleRequest, targetOf } from '../api/pim';
import { ErrorBar } from '../components/ErrorBar';
import { useNames } from '../components/names';
import { Page } from '../components/Page';
import { useLoad } from '../components/useLoad';

const newestFirst = (a: ScheduleRequest, b: ScheduleRequest) =>
  b.createdDateTime.localeCompare(a.createdDateTime);

export function MyRequests() {
  const names = useNames();
  const requests = useLoad(async () => (await pim.myRequests()).sort(newestFirst));
  const [error, setError] = useState<unknown>();
  const cancel = async (r: ScheduleRequest) => {
    setError(undefined);
    try {
      await pim.cancel(targetOf(r).kind, r.id);
      await requests.reload();
    } catch (err) {
      setError(err);
    }
  };
  const loadError = names.error ?? requests.error;
  return (
    <Page title="My requests" description="Your requests to activate, extend or deactivate roles and groups.">
      <ErrorBar error={loadError ?? error} />
      {!names.value || !requests.value ? (
        loadError ? null : (
          <Spinner label="Loading requests" />
        )
      ) : (
        <Table aria-label="My requests" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Created</TableHeaderCell>
              <TableHeaderCell>Role or group</TableHeaderCell>
              <TableHeaderCell>Request</TableHeaderCell>
              <TableHeaderCell>Status</TableHeaderCell>
              <TableHeaderCell>Justification</TableHeaderCell>
              <TableHeaderCell>Ticket</TableHeaderCell>
              <TableHeaderCell>Duration</TableHeaderCell>
              <TableHeaderCell>Manage</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {requests.value.length === 0 ? (
              <TableRow>
                <TableCell colSpan={8}>No requests yet.</TableCell>
              </TableRow>
            ) : null}
            {requests.value.map((r) => (
              <TableRow key={r.id}>
                <TableCell>{formatDateTime(r.createdDateTime)}</TableCell>
                <TableCell>{names.value!.target(targetOf(r))}</TableCell>
                <TableCell>{r.action}</TableCell>
                <TableCell>
                  <Badge
                    appearance="tint"
                    color={
                      r.status === 'Provisioned'
                        ? 'success'
                        : r.status.startsWith('Pending')
                          ? 'warning'
                          : 'informative'
                    }
                  >
                    {r.status}
                  </Badge>
                </TableCell>
                <TableCell>{r.justification ?? ''}</TableCell>
                <TableCell>{r.ticketInfo?.ticketNumber ?? ''}</TableCell>
                <TableCell>{r.scheduleInfo?.expiration?.duration ?? ''}</TableCell>
                <TableCell>
                  {r.status === 'PendingApproval' ||
                  r.status === 'PendingMfa' ||
                  r.status === 'ScheduleCreated' ? (
                    <Button size="small" onClick={() => void cancel(r)}>
                      Cancel
                    </Button>
                  ) : null}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Page>
  );
}
