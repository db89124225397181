// Audit rows as a table: when, what, who, on what, and how it ended.
import {
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
} from '@fluentui/react-components';
import type { AuditRow } from '../api/audit';
import { formatDateTime } from '../api/duration';

export function AuditTable({ rows, label }: { rows: AuditRow[]; label: string }) {
  return (
    <Table aria-label={label} size="small">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>Date</TableHeaderCell>
          <TableHeaderCell>Activity</TableHeaderCell>
          <TableHeaderCell>Category</TableHeaderCell>
          <TableHeaderCell>Initiated by</TableHeaderCell>
          <TableHeaderCell>Targets</TableHeaderCell>
          <TableHeaderCell>Result</TableHeaderCell>
        </TableRow>
      </TableHeader>
      <TableBody>
        {rows.length === 0 ? (
          <TableRow>
            <TableCell colSpan={6}>No audit rows.</TableCell>
          </TableRow>
        ) : null}
        {rows.map((r) => (
          <TableRow key={r.id}>
            <TableCell>{formatDateTime(r.activityDateTime)}</TableCell>
            <TableCell>{r.activityDisplayName}</TableCell>
            <TableCell>{r.category}</TableCell>
            <TableCell>{r.initiatedBy?.user?.displayName ?? r.initiatedBy?.user?.id ?? 'System'}</TableCell>
            <TableCell>{r.targetResources.map((t) => t.displayName ?? t.id).join(', ')}</TableCell>
            <TableCell>
              {r.result}
              {r.resultReason ? `: ${r.resultReason}` : ''}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
