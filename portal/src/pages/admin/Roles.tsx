// Roles and groups: the directory roles (built-in and custom) and the privileged groups PIM manages.
import {
  Badge,
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
import { ErrorBar } from '../../components/ErrorBar';
import { useNames } from '../../components/names';
import { Page } from '../../components/Page';

const useStyles = makeStyles({
  section: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
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
