// Access reviews (admins): every review with its current instance; create one of a role's or group's
// eligible (or active) assignments, reviewed by a person or by the principals themselves, once or
// on a schedule; stop a running instance; delete a review.
import {
  Button,
  Field,
  Input,
  makeStyles,
  Select,
  Spinner,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  tokens,
} from '@fluentui/react-components';
import { useState } from 'react';
import { formatDateTime } from '../../api/duration';
import { reviews } from '../../api/reviews';
import { ErrorBar } from '../../components/ErrorBar';
import { useNames } from '../../components/names';
import { Page } from '../../components/Page';
import { useLoad } from '../../components/useLoad';

const useStyles = makeStyles({
  form: { display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalM, alignItems: 'end' },
});

const RECURRENCE: Record<string, { type: string; interval: number } | null> = {
  'One time': null,
  Weekly: { type: 'weekly', interval: 1 },
  Monthly: { type: 'absoluteMonthly', interval: 1 },
  Quarterly: { type: 'absoluteMonthly', interval: 3 },
  'Semi-annually': { type: 'absoluteMonthly', interval: 6 },
  Annually: { type: 'absoluteMonthly', interval: 12 },
};

export function AdminAccessReviews() {
  const data = useLoad(async () => {
    const definitions = await reviews.definitions();
    return Promise.all(
      definitions.map(async (d) => ({ definition: d, current: (await reviews.instances(d.id)).at(-1) })),
    );
  });
  const [error, setError] = useState<unknown>();
  const act = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
      await data.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Page
      title="Access reviews"
      description="Ask reviewers, once or on a schedule, whether people still need their roles."
    >
      <ErrorBar error={data.error ?? error} />
      <CreateReview onCreated={data.reload} />
      {!data.value ? (
        data.error ? null : (
          <Spinner label="Loading reviews" />
        )
      ) : (
        <Table aria-label="Access reviews">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Review</TableHeaderCell>
              <TableHeaderCell>Reviewers</TableHeaderCell>
              <TableHeaderCell>Current instance</TableHeaderCell>
              <TableHeaderCell>Ends</TableHeaderCell>
              <TableHeaderCell>Action</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {data.value.map(({ definition: d, current }) => (
              <TableRow key={d.id}>
                <TableCell>{d.displayName}</TableCell>
                <TableCell>
                  {d.reviewers.length === 0 ? 'Self-review' : d.reviewers.map((r) => r.query).join(', ')}
                </TableCell>
                <TableCell>{current?.status ?? '-'}</TableCell>
                <TableCell>{current ? formatDateTime(current.endDateTime) : '-'}</TableCell>
                <TableCell>
                  {current?.status === 'InProgress' ? (
                    <Button
                      size="small"
                      onClick={() => act(() => reviews.stop(d.id, current.id))}
                      aria-label={`Stop ${d.displayName}`}
                    >
                      Stop
                    </Button>
                  ) : null}{' '}
                  <Button
                    size="small"
                    onClick={() => act(() => reviews.remove(d.id))}
                    aria-label={`Delete ${d.displayName}`}
                  >
                    Delete
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Page>
  );
}

function CreateReview({ onCreated }: { onCreated(): Promise<void> }) {
  const styles = useStyles();
  const names = useNames(true);
  const [name, setName] = useState('');
  const [resource, setResource] = useState('');
  const [level, setLevel] = useState<'Eligibility' | 'Assignment'>('Eligibility');
  const [reviewer, setReviewer] = useState('');
  const [recurrence, setRecurrence] = useState('One time');
  const [days, setDays] = useState('14');
  const [autoApply, setAutoApply] = useState(true);
  const [error, setError] = useState<unknown>();
  const create = async () => {
    setError(undefined);
    const [kind, id] = resource.split(':');
    const query =
      kind === 'role'
        ? `/roleManagement/directory/role${level}ScheduleInstances?$filter=(roleDefinitionId eq '${id}')`
        : `/identityGovernance/privilegedAccess/group/${level.toLowerCase()}ScheduleInstances?$filter=groupId eq '${id}'`;
    try {
      await reviews.create({
        displayName: name,
        scope: {
          '@odata.type': '#microsoft.graph.accessReviewQueryScope',
          query,
          queryType: 'MicrosoftGraph',
        },
        reviewers: reviewer ? [{ query: `/users/${reviewer}`, queryType: 'MicrosoftGraph' }] : [],
        settings: {
          instanceDurationInDays: Number(days),
          autoApplyDecisionsEnabled: autoApply,
          recommendationsEnabled: true,
          recurrence: { pattern: RECURRENCE[recurrence] ?? null, range: { type: 'noEnd' } },
        },
      });
      setName('');
      await onCreated();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form
      className={styles.form}
      aria-label="New access review"
      onSubmit={(e) => {
        e.preventDefault();
        void create();
      }}
    >
      <Field label="Name" required>
        <Input value={name} onChange={(_, d) => setName(d.value)} />
      </Field>
      <Field label="Role or group" required>
        <Select value={resource} onChange={(_, d) => setResource(d.value)}>
          <option value="">Choose…</option>
          {names.value?.roles.map((r) => (
            <option key={r.id} value={`role:${r.id}`}>
              {r.displayName}
            </option>
          ))}
          {names.value?.groups.map((g) => (
            <option key={g.id} value={`group:${g.id}`}>
              {g.displayName} (group)
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Assignments">
        <Select value={level} onChange={(_, d) => setLevel(d.value as 'Eligibility' | 'Assignment')}>
          <option value="Eligibility">Eligible</option>
          <option value="Assignment">Active</option>
        </Select>
      </Field>
      <Field label="Reviewer">
        <Select value={reviewer} onChange={(_, d) => setReviewer(d.value)}>
          <option value="">The people themselves (self-review)</option>
          {names.value?.users.map((u) => (
            <option key={u.id} value={u.id}>
              {u.displayName}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Recurrence">
        <Select value={recurrence} onChange={(_, d) => setRecurrence(d.value)}>
          {Object.keys(RECURRENCE).map((r) => (
            <option key={r}>{r}</option>
          ))}
        </Select>
      </Field>
      <Field label="Days to decide">
        <Input type="number" min={1} max={180} value={days} onChange={(_, d) => setDays(d.value)} />
      </Field>
      <Switch
        label="Remove denied access at the end"
        checked={autoApply}
        onChange={(_, d) => setAutoApply(d.checked)}
      />
      <Button type="submit" appearance="primary" disabled={!name || !resource}>
        Create review
      </Button>
      <ErrorBar error={error} />
    </form>
  );
}
