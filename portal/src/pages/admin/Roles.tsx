// Roles and groups: the directory roles (built-in and custom) and the privileged groups PIM manages;
// admins add a group here (POST /groups), to make it eligible or to bring it under PIM.
import {
  Badge,
  Button,
  Checkbox,
  Field,
  Input,
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

const useStyles = makeStyles({
  section: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  form: { display: 'flex', flexWrap: 'wrap', alignItems: 'end', gap: tokens.spacingHorizontalM },
});

export function AdminRoles() {
  const styles = useStyles();
  const names = useNames();
  return (
    <Page
      title="Roles and groups"
      description="The directory roles and the privileged groups that PIM manages."
    >
      <ErrorBar error={names.error} />
      {!names.value ? (
        names.error ? null : (
          <Spinner label="Loading" />
        )
      ) : (
        <>
          <div className={styles.section}>
            <Text as="h2" size={500} weight="semibold" id="roles-heading">
              Directory roles
            </Text>
            <Table aria-labelledby="roles-heading" size="small">
              <TableHeader>
                <TableRow>
                  <TableHeaderCell>Role</TableHeaderCell>
                  <TableHeaderCell>Description</TableHeaderCell>
                  <TableHeaderCell>Type</TableHeaderCell>
                </TableRow>
              </TableHeader>
              <TableBody>
                {names.value.roles.map((r) => (
                  <TableRow key={r.id}>
                    <TableCell>{r.displayName}</TableCell>
                    <TableCell>{r.description ?? ''}</TableCell>
                    <TableCell>
                      <Badge appearance="outline" color={r.isBuiltIn ? 'informative' : 'brand'}>
                        {r.isBuiltIn ? 'Built-in' : 'Custom'}
                      </Badge>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </div>
          <div className={styles.section}>
            <Text as="h2" size={500} weight="semibold" id="groups-heading">
              Groups
            </Text>
            <NewGroup onAdded={names.reload} />
            <Table aria-labelledby="groups-heading" size="small">
              <TableHeader>
                <TableRow>
                  <TableHeaderCell>Group</TableHeaderCell>
                  <TableHeaderCell>Description</TableHeaderCell>
                  <TableHeaderCell>Role-assignable</TableHeaderCell>
                </TableRow>
              </TableHeader>
              <TableBody>
                {names.value.groups.map((g) => (
                  <TableRow key={g.id}>
                    <TableCell>{g.displayName}</TableCell>
                    <TableCell>{g.description ?? ''}</TableCell>
                    <TableCell>{g.isAssignableToRole ? 'Yes' : 'No'}</TableCell>
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

function NewGroup({ onAdded }: { onAdded(): Promise<void> }) {
  const styles = useStyles();
  const [displayName, setDisplayName] = useState('');
  const [description, setDescription] = useState('');
  const [roleAssignable, setRoleAssignable] = useState(false);
  const [error, setError] = useState<unknown>();
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await api(`${V1}/groups`, {
        method: 'POST',
        body: {
          displayName: displayName.trim(),
          ...(description.trim() ? { description: description.trim() } : {}),
          isAssignableToRole: roleAssignable,
        },
      });
      setDisplayName('');
      setDescription('');
      await onAdded();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className={styles.form} onSubmit={(e) => void add(e)} aria-label="Add a group">
      <Field label="Group name" required>
        <Input value={displayName} onChange={(_, d) => setDisplayName(d.value)} />
      </Field>
      <Field label="Description">
        <Input value={description} onChange={(_, d) => setDescription(d.value)} />
      </Field>
      <Checkbox
        label="Role-assignable (can be made eligible for roles)"
        checked={roleAssignable}
        onChange={(_, d) => setRoleAssignable(d.checked === true)}
      />
      <Button type="submit" appearance="primary" disabled={!displayName.trim()}>
        Add group
      </Button>
      <div style={{ flexBasis: '100%' }}>
        <ErrorBar error={error} />
      </div>
    </form>
  );
}
