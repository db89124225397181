// Assignments: everyone's eligible and active assignments of roles and groups; an admin adds one
// (adminAssign) or removes one (adminRemove).
import {
  Button,
  Field,
  Input,
  makeStyles,
  Select,
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
import { api, GROUPS, ROLES } from '../../api/client';
import { formatDateTime } from '../../api/duration';
import { type Instance, type Target, targetBody, targetOf } from '../../api/pim';
import { ErrorBar } from '../../components/ErrorBar';
import { type Names, useNames } from '../../components/names';
import { Page } from '../../components/Page';
import { useLoad } from '../../components/useLoad';

type Level = 'eligible' | 'active';

const LISTS: Record<Level, string[]> = {
  eligible: [`${ROLES}/roleEligibilitySchedules`, `${GROUPS}/eligibilitySchedules`],
  active: [`${ROLES}/roleAssignmentScheduleInstances`, `${GROUPS}/assignmentScheduleInstances`],
};

const requestUrl = (level: Level, t: Target) =>
  level === 'eligible'
    ? t.kind === 'role'
      ? `${ROLES}/roleEligibilityScheduleRequests`
      : `${GROUPS}/eligibilityScheduleRequests`
    : t.kind === 'role'
      ? `${ROLES}/roleAssignmentScheduleRequests`
      : `${GROUPS}/assignmentScheduleRequests`;

const useStyles = makeStyles({
  section: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  form: { display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalM, alignItems: 'end' },
});

export function AdminAssignments() {
  const styles = useStyles();
  const names = useNames(true);
  const lists = useLoad(async () => {
    const load = async (urls: string[]) =>
      (await Promise.all(urls.map((u) => api<{ value: Instance[] }>(u)))).flatMap((r) => r.value);
    const [eligible, active] = await Promise.all([load(LISTS.eligible), load(LISTS.active)]);
    return { eligible, active };
  });
  const [error, setError] = useState<unknown>();
  const remove = async (level: Level, i: Instance) => {
    setError(undefined);
    const t = targetOf(i);
    try {
      await api(requestUrl(level, t), {
        method: 'POST',
        body: {
          action: 'adminRemove',
          principalId: i.principalId,
          ...targetBody(t),
          justification: 'Removed in the portal',
        },
      });
      await lists.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Page title="Assignments" description="Who is eligible for, or holds, each role and group.">
      <ErrorBar error={names.error ?? lists.error ?? error} />
      {!names.value || !lists.value ? (
        (names.error ?? lists.error) ? null : (
          <Spinner label="Loading" />
        )
      ) : (
        <>
          <AddAssignment names={names.value} onAdded={lists.reload} />
          {(['eligible', 'active'] as const).map((level) => (
            <div key={level} className={styles.section}>
              <Text as="h2" size={500} weight="semibold" id={`${level}-heading`}>
                {level === 'eligible' ? 'Eligible assignments' : 'Active assignments'}
              </Text>
              <Table aria-labelledby={`${level}-heading`} size="small">
                <TableHeader>
                  <TableRow>
                    <TableHeaderCell>Person</TableHeaderCell>
                    <TableHeaderCell>Role or group</TableHeaderCell>
                    <TableHeaderCell>Start</TableHeaderCell>
                    <TableHeaderCell>End</TableHeaderCell>
                    <TableHeaderCell>Manage</TableHeaderCell>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {lists.value![level].map((i) => (
                    <TableRow key={i.id}>
                      <TableCell>{names.value!.user(i.principalId)}</TableCell>
                      <TableCell>{names.value!.target(targetOf(i))}</TableCell>
                      <TableCell>{formatDateTime(i.startDateTime)}</TableCell>
                      <TableCell>{formatDateTime(i.endDateTime)}</TableCell>
                      <TableCell>
                        <Button size="small" onClick={() => void remove(level, i)}>
                          Remove
                        </Button>
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </div>
          ))}
        </>
      )}
    </Page>
  );
}

function AddAssignment({ names, onAdded }: { names: Names; onAdded(): Promise<void> }) {
  const styles = useStyles();
  const targets: { key: string; label: string; target: Target }[] = [
    ...names.roles.map((r) => ({
      key: `role:${r.id}`,
      label: `Role: ${r.displayName}`,
      target: { kind: 'role' as const, roleDefinitionId: r.id, directoryScopeId: '/' },
    })),
    ...names.groups.flatMap((g) =>
      (['member', 'owner'] as const).map((accessId) => ({
        key: `group:${g.id}:${accessId}`,
        label: `Group ${accessId}: ${g.displayName}`,
        target: { kind: 'group' as const, groupId: g.id, accessId },
      })),
    ),
  ];
  const [level, setLevel] = useState<Level>('eligible');
  const [targetKey, setTargetKey] = useState(targets[0]?.key ?? '');
  const [principalId, setPrincipalId] = useState(names.users[0]?.id ?? '');
  const [justification, setJustification] = useState('');
  // Empty: permanent (if the role's policy allows it); else the number of days it lasts from now.
  const [days, setDays] = useState('');
  const [error, setError] = useState<unknown>();
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(undefined);
    const target = targets.find((t) => t.key === targetKey)?.target;
    if (!target) return;
    try {
      await api(requestUrl(level, target), {
        method: 'POST',
        body: {
          action: 'adminAssign',
          principalId,
          ...targetBody(target),
          ...(justification.trim() ? { justification: justification.trim() } : {}),
          scheduleInfo: {
            expiration: days.trim()
              ? { type: 'afterDuration', duration: `P${Number(days.trim())}D` }
              : { type: 'noExpiration' },
          },
        },
      });
      await onAdded();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className={styles.form} onSubmit={(e) => void add(e)} aria-label="Add an assignment">
      <Field label="Assignment type">
        <Select value={level} onChange={(_, d) => setLevel(d.value as Level)}>
          <option value="eligible">Eligible</option>
          <option value="active">Active</option>
        </Select>
      </Field>
      <Field label="Role or group">
        <Select value={targetKey} onChange={(_, d) => setTargetKey(d.value)}>
          {targets.map((t) => (
            <option key={t.key} value={t.key}>
              {t.label}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Person">
        <Select value={principalId} onChange={(_, d) => setPrincipalId(d.value)}>
          {names.users.map((u) => (
            <option key={u.id} value={u.id}>
              {u.displayName}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Justification">
        <Input value={justification} onChange={(_, d) => setJustification(d.value)} />
      </Field>
      <Field label="Ends after (days)" hint="Empty: permanent, where the role's settings allow it.">
        <Input
          type="number"
          min={1}
          max={3650}
          value={days}
          onChange={(_, d) => setDays(d.value.replace(/\D/g, ''))}
        />
      </Field>
      <Button type="submit" appearance="primary">
        Add assignment
      </Button>
      <div style={{ flexBasis: '100%' }}>
        <ErrorBar error={error} />
      </div>
    </form>
  );
}
