// Approve requests: what waits for my decision, and the decision itself (approve or deny, with a
// justification).
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  MessageBar,
  MessageBarBody,
  makeStyles,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Textarea,
  tokens,
} from '@fluentui/react-components';
import { useState } from 'react';
import { formatDateTime } from '../api/duration';
import { type Approval, type Kind, pim, type ScheduleRequest, targetOf } from '../api/pim';
import { ErrorBar } from '../components/ErrorBar';
import { type Names, useNames } from '../components/names';
import { Page } from '../components/Page';
import { useLoad } from '../components/useLoad';

type InboxItem = Approval & { kind: Kind };

const useStyles = makeStyles({
  details: {
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalL}`,
    margin: 0,
  },
  term: { fontWeight: tokens.fontWeightSemibold },
  definition: { margin: 0 },
  content: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
});

export function Approvals() {
  const inbox = useLoad(() => pim.inbox());
  // Who asks for what, by approval id (an approval's id is its request's approvalId).
  const awaiting = useLoad(() => pim.awaitingMe().catch(() => []));
  const about = (approvalId: string) => awaiting.value?.find((r) => r.approvalId === approvalId);
  // Mounted until the next review; closed by `open` (see MyRoles for why).
  const [open, setOpen] = useState<{ item: InboxItem; seq: number }>();
  const [isOpen, setIsOpen] = useState(false);
  return (
    <Page
      title="Approve requests"
      description="Requests to activate a role or group that wait for your decision."
    >
      <ErrorBar error={inbox.error} />
      {!inbox.value ? (
        inbox.error ? null : (
          <Spinner label="Loading requests" />
        )
      ) : (
        <Table aria-label="Requests waiting for my approval">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Request</TableHeaderCell>
              <TableHeaderCell>Requested by</TableHeaderCell>
              <TableHeaderCell>Role or group</TableHeaderCell>
              <TableHeaderCell>Type</TableHeaderCell>
              <TableHeaderCell>Stage</TableHeaderCell>
              <TableHeaderCell>Action</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {inbox.value.length === 0 ? (
              <TableRow>
                <TableCell colSpan={6}>Nothing waits for your approval.</TableCell>
              </TableRow>
            ) : null}
            {inbox.value.map((item) => {
              const stage = pendingStage(item);
              const request = about(item.id);
              return (
                <TableRow key={`${item.kind}:${item.id}`}>
                  <TableCell>
                    <code>{item.id}</code>
                  </TableCell>
                  <TableCell>{request?.principal?.displayName ?? '-'}</TableCell>
                  <TableCell>{(request?.roleDefinition ?? request?.group)?.displayName ?? '-'}</TableCell>
                  <TableCell>{item.kind === 'role' ? 'Directory role' : 'Group'}</TableCell>
                  <TableCell>{stage ? `${stage.status} (${stage.reviewResult})` : 'Decided'}</TableCell>
                  <TableCell>
                    <Button
                      size="small"
                      appearance="primary"
                      onClick={() => {
                        setOpen({ item, seq: (open?.seq ?? 0) + 1 });
                        setIsOpen(true);
                      }}
                      aria-label={`Review request ${item.id}`}
                    >
                      Review
                    </Button>
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
      {open ? (
        <DecisionDialog
          key={open.seq}
          open={isOpen}
          item={open.item}
          onClose={() => {
            setIsOpen(false);
            void inbox.reload();
          }}
        />
      ) : null}
    </Page>
  );
}

const pendingStage = (a: Approval) => a.stages.find((s) => s.status === 'InProgress' && s.assignedToMe);

function DecisionDialog({ open, item, onClose }: { open: boolean; item: InboxItem; onClose(): void }) {
  const styles = useStyles();
  const [justification, setJustification] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();
  const stage = pendingStage(item);
  const names = useNames();
  // The approval's id is its request's; an approver may read the request they are asked about.
  const request = useLoad(() => pim.request(item.kind, item.id).catch(() => undefined), item.id);

  const decide = async (result: 'Approve' | 'Deny') => {
    if (!stage) return;
    setBusy(true);
    setError(undefined);
    try {
      await pim.decide(item.kind, item.id, stage.id, result, justification.trim());
      setDone(result === 'Approve' ? 'Approved' : 'Denied');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} modalType="modal" onOpenChange={(_, data) => (data.open ? undefined : onClose())}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>Approve or deny the request</DialogTitle>
          <DialogContent className={styles.content}>
            <dl className={styles.details}>
              <dt className={styles.term}>Request</dt>
              <dd className={styles.definition}>
                <code>{item.id}</code>
              </dd>
              <dt className={styles.term}>Type</dt>
              <dd className={styles.definition}>{item.kind === 'role' ? 'Directory role' : 'Group'}</dd>
              <dt className={styles.term}>Stage</dt>
              <dd className={styles.definition}>{stage?.id ?? 'Decided'}</dd>
              {request.value && names.value ? (
                <RequestDetails request={request.value} names={names.value} />
              ) : null}
            </dl>
            {!request.loading && !request.value ? (
              <MessageBar intent="info">
                <MessageBarBody>
                  The request's details (who, what, why) could not be read; the notification you received
                  names them.
                </MessageBarBody>
              </MessageBar>
            ) : null}
            {done ? (
              <MessageBar intent="success" role="status">
                <MessageBarBody>{done}.</MessageBarBody>
              </MessageBar>
            ) : (
              <Field
                label="Justification"
                required
                hint="Why you approve or deny; the requester and the audit log see it."
              >
                <Textarea value={justification} onChange={(_, data) => setJustification(data.value)} />
              </Field>
            )}
            <ErrorBar error={error} />
          </DialogContent>
          <DialogActions>
            {done ? (
              <Button appearance="primary" onClick={onClose}>
                Done
              </Button>
            ) : (
              <>
                <Button appearance="primary" disabled={busy || !stage} onClick={() => void decide('Approve')}>
                  Approve
                </Button>
                <Button disabled={busy || !stage} onClick={() => void decide('Deny')}>
                  Deny
                </Button>
                <Button onClick={onClose}>Cancel</Button>
              </>
            )}
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

function RequestDetails({ request, names }: { request: ScheduleRequest; names: Names }) {
  const styles = useStyles();
  const rows: [string, string][] = [
    ['Requested by', request.createdBy?.user?.displayName ?? names.user(request.principalId)],
    ['Role or group', names.target(targetOf(request))],
    ['Justification', request.justification ?? ''],
    [
      'Ticket',
      [request.ticketInfo?.ticketNumber, request.ticketInfo?.ticketSystem].filter(Boolean).join(' (') +
        (request.ticketInfo?.ticketSystem ? ')' : ''),
    ],
    ['Duration', request.scheduleInfo?.expiration?.duration ?? ''],
    ['Requested', formatDateTime(request.createdDateTime)],
  ];
  return (
    <>
      {rows.map(([term, value]) => (
        <div key={term} style={{ display: 'contents' }}>
          <dt className={styles.term}>{term}</dt>
          <dd className={styles.definition}>{value || '-'}</dd>
        </div>
      ))}
    </>
  );
}
