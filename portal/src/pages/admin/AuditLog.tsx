// The audit log: everyone's PIM activity with filters (time, category, who, correlation id), and the
// same filter exported as CSV.
import { Button, Field, Input, makeStyles, Select, Spinner, tokens } from '@fluentui/react-components';
import { useState } from 'react';
import { type AuditFilter, audit } from '../../api/audit';
import { AuditTable } from '../../components/AuditTable';
import { ErrorBar } from '../../components/ErrorBar';
import { useNames } from '../../components/names';
import { Page } from '../../components/Page';
import { useLoad } from '../../components/useLoad';

const useStyles = makeStyles({
  filters: { display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalM, alignItems: 'end' },
});

const CATEGORIES = ['RoleManagement', 'GroupManagement', 'Policy', 'AccessReview'];

export function AdminAuditLog() {
  const styles = useStyles();
  const names = useNames(true);
  const [draft, setDraft] = useState<AuditFilter>({});
  const [applied, setApplied] = useState<AuditFilter>({});
  const rows = useLoad(() => audit.list(applied), applied);
  const [exportError, setExportError] = useState<unknown>();
  const set = (change: Partial<AuditFilter>) => setDraft({ ...draft, ...change });

  const exportCsv = async () => {
    setExportError(undefined);
    try {
      const csv = await audit.exportCsv(applied);
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `pim-audit-${new Date().toISOString().slice(0, 10)}.csv`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      setExportError(err);
    }
  };

  return (
    <Page
      title="Audit log"
      description="Every PIM request, decision, grant and change of settings, newest first."
    >
      <form
        className={styles.filters}
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(draft);
        }}
      >
        <Field label="From">
          <Input
            type="datetime-local"
            value={draft.from ?? ''}
            onChange={(_, d) => set({ from: d.value || undefined })}
          />
        </Field>
        <Field label="To">
          <Input
            type="datetime-local"
            value={draft.to ?? ''}
            onChange={(_, d) => set({ to: d.value || undefined })}
          />
        </Field>
        <Field label="Category">
          <Select value={draft.category ?? ''} onChange={(_, d) => set({ category: d.value || undefined })}>
            <option value="">Any</option>
            {CATEGORIES.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </Select>
        </Field>
        <Field label="Initiated by">
          <Select
            value={draft.initiatorId ?? ''}
            onChange={(_, d) => set({ initiatorId: d.value || undefined })}
          >
            <option value="">Anyone</option>
            {(names.value?.users ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.displayName}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Correlation id (request)">
          <Input
            value={draft.correlationId ?? ''}
            onChange={(_, d) => set({ correlationId: d.value || undefined })}
          />
        </Field>
        <Button type="submit" appearance="primary">
          Apply
        </Button>
        <Button onClick={() => void exportCsv()}>Export CSV</Button>
      </form>
      <ErrorBar error={rows.error ?? exportError} />
      {rows.value ? (
        <AuditTable rows={rows.value} label="Audit log" />
      ) : rows.error ? null : (
        <Spinner label="Loading" />
      )}
    </Page>
  );
}
