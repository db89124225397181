// My roles: what I am eligible for (activate it) and what I hold now (time left, deactivate,
// extend), roles and groups together as Entra's "My roles" shows them.
import {
  Badge,
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
import { formatDateTime } from '../api/duration';
import { type Instance, pim, type Target, targetBody, targetKey, targetOf } from '../api/pim';
import { useSession } from '../auth/session';
import { Countdown } from '../components/Countdown';
import { ErrorBar } from '../components/ErrorBar';
import { type Names, useNames } from '../components/names';
import { Page } from '../components/Page';
import { useLoad } from '../components/useLoad';
import { ActivateDialog } from './ActivateDialog';

const useStyles = makeStyles({
  actions: { display: 'flex', gap: tokens.spacingHorizontalS },
  caption: { margin: 0 },
});

export function MyRoles() {
  const names = useNames();
  const roles = useLoad(async () => {
    const [eligible, active] = await Promise.all([pim.myEligible(), pim.myActive()]);
    return { eligible, active };
  });
  // The dialog stays mounted and closes by `open` (unmounting an open Fluent dialog would leave the
  // page aria-hidden); `seq` gives each opening a fresh form.
  const [dialog, setDialog] = useState<{
    target: Target;
    action: 'selfActivate' | 'selfExtend';
    seq: number;
  }>();
  const [open, setOpen] = useState(false);
  const show = (target: Target, action: 'selfActivate' | 'selfExtend') => {
    setDialog({ target, action, seq: (dialog?.seq ?? 0) + 1 });
    setOpen(true);
  };
  const error = names.error ?? roles.error;
  return (
    <Page
      title="My roles"
      description="Activate a role or group you are eligible for, for as long as you need it; it ends by itself."
    >
      <ErrorBar error={error} />
      {!names.value || !roles.value ? (
        error ? null : (
          <Spinner label="Loading your roles" />
        )
      ) : (
        <>
          <EligibleTable
            eligible={roles.value.eligible}
            active={roles.value.active}
            names={names.value}
            onActivate={(target) => show(target, 'selfActivate')}
          />
          <ActiveTable
            active={roles.value.active}
            names={names.value}
            onExtend={(target) => show(target, 'selfExtend')}
            onChanged={roles.reload}
          />
        </>
      )}
      {dialog && names.value ? (
        <ActivateDialog
          key={dialog.seq}
          open={open}
          target={dialog.target}
          action={dialog.action}
          name={names.value.target(dialog.target)}
          onClose={() => {
            setOpen(false);
            void roles.reload();
          }}
        />
      ) : null}
    </Page>
  );
}

const kindLabel = (t: Target) => (t.kind === 'role' ? 'Directory role' : `Group ${t.accessId}`);

function EligibleTable(props: {
  eligible: Instance[];
  active: Instance[];
  names: Names;
  onActivate(target: Target): void;
}) {
  const styles = useStyles();
  const activeKeys = new Set(props.active.map((a) => targetKey(targetOf(a))));
  return (
    <div>
      <Text as="h2" size={500} weight="semibold" className={styles.caption} id="eligible-heading">
        Eligible assignments
      </Text>
      <Table aria-labelledby="eligible-heading">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Role or group</TableHeaderCell>
            <TableHeaderCell>Type</TableHeaderCell>
            <TableHeaderCell>Membership</TableHeaderCell>
            <TableHeaderCell>End time</TableHeaderCell>
            <TableHeaderCell>Action</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {props.eligible.length === 0 ? (
            <TableRow>
              <TableCell colSpan={5}>You are not eligible for any role or group.</TableCell>
            </TableRow>
          ) : null}
          {props.eligible.map((e) => {
            const target = targetOf(e);
            const name = props.names.target(target);
            const isActive = activeKeys.has(targetKey(target));
            return (
              <TableRow key={e.id}>
                <TableCell>{name}</TableCell>
                <TableCell>{kindLabel(target)}</TableCell>
                <TableCell>{e.memberType.toLowerCase() === 'group' ? 'Group' : 'Direct'}</TableCell>
                <TableCell>{formatDateTime(e.endDateTime)}</TableCell>
                <TableCell>
                  {isActive ? (
                    <Badge appearance="tint" color="success">
                      Active
                    </Badge>
                  ) : (
                    <Button
                      size="small"
                      appearance="primary"
                      onClick={() => props.onActivate(target)}
                      aria-label={`Activate ${name}`}
                    >
                      Activate
                    </Button>
                  )}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </div>
  );
}

function ActiveTable(props: {
  active: Instance[];
  names: Names;
  onExtend(target: Target): void;
  onChanged(): Promise<void>;
}) {
  const styles = useStyles();
  const session = useSession();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const deactivate = async (instance: Instance) => {
    const target = targetOf(instance);
    setBusy(instance.id);
    setError(undefined);
    try {
      await pim.submit(target.kind, {
        action: 'selfDeactivate',
        principalId: session.me.id,
        ...targetBody(target),
      });
      await props.onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <div>
      <Text as="h2" size={500} weight="semibold" className={styles.caption} id="active-heading">
        Active assignments
      </Text>
      <ErrorBar error={error} />
      <Table aria-labelledby="active-heading">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Role or group</TableHeaderCell>
            <TableHeaderCell>Type</TableHeaderCell>
            <TableHeaderCell>State</TableHeaderCell>
            <TableHeaderCell>End time</TableHeaderCell>
            <TableHeaderCell>Time left</TableHeaderCell>
            <TableHeaderCell>Action</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {props.active.length === 0 ? (
            <TableRow>
              <TableCell colSpan={6}>Nothing is active.</TableCell>
            </TableRow>
          ) : null}
          {props.active.map((a) => {
            const target = targetOf(a);
            const name = props.names.target(target);
            const activated = (a.assignmentType ?? '').toLowerCase() === 'activated';
            return (
              <TableRow key={a.id}>
                <TableCell>{name}</TableCell>
                <TableCell>{kindLabel(target)}</TableCell>
                <TableCell>{activated ? 'Activated' : 'Assigned'}</TableCell>
                <TableCell>{formatDateTime(a.endDateTime)}</TableCell>
                <TableCell>
                  <Countdown end={a.endDateTime} />
                </TableCell>
                <TableCell>
                  {activated ? (
                    <div className={styles.actions}>
                      <Button
                        size="small"
                        onClick={() => props.onExtend(target)}
                        aria-label={`Extend ${name}`}
                      >
                        Extend
                      </Button>
                      <Button
                        size="small"
                        disabled={busy === a.id}
                        onClick={() => void deactivate(a)}
                        aria-label={`Deactivate ${name}`}
                      >
                        Deactivate
                      </Button>
                    </div>
                  ) : null}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </div>
  );
}
