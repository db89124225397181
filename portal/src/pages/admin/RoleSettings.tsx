// Role settings: the activation rules of a role's (or a group's) policy as a form: maximum duration,
// MFA, justification, ticket, approval and its approvers. Saving PATCHes the three rules it changed.
import {
  Button,
  Checkbox,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  makeStyles,
  Select,
  Spinner,
  tokens,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { isoToMinutes, minutesToIso } from '../../api/duration';
import type { Group, RoleDefinition, User } from '../../api/pim';
import { getPolicy, type Policy, type PolicyRule, patchRule, ruleOf } from '../../api/policy';
import { ErrorBar } from '../../components/ErrorBar';
import { useNames } from '../../components/names';
import { Page } from '../../components/Page';
import { useLoad } from '../../components/useLoad';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, maxWidth: '640px' },
  fieldset: {
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    padding: tokens.spacingHorizontalM,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalXS,
  },
  legend: { fontWeight: tokens.fontWeightSemibold, padding: `0 ${tokens.spacingHorizontalXS}` },
});

/** Every policy an admin can set: each role's, and each group's for members and owners. */
function policyChoices(roles: RoleDefinition[], groups: Group[]) {
  return [
    ...roles.map((r) => ({ id: `DirectoryRole_${r.id}`, label: `Role: ${r.displayName}` })),
    ...groups.flatMap((g) =>
      (['member', 'owner'] as const).map((a) => ({
        id: `Group_${g.id}_${a}`,
        label: `Group ${a}: ${g.displayName}`,
      })),
    ),
  ];
}

export function RoleSettings() {
  const styles = useStyles();
  const names = useNames(true);
  const [policyId, setPolicyId] = useState<string>();
  const choices = names.value ? policyChoices(names.value.roles, names.value.groups) : [];
  useEffect(() => {
    if (!policyId && choices.length > 0) setPolicyId(choices[0].id);
  }, [policyId, choices]);
  return (
    <Page
      title="Role settings"
      description="What an activation needs: how long it may last, MFA, justification, ticket and approval."
    >
      <ErrorBar error={names.error} />
      {!names.value ? (
        names.error ? null : (
          <Spinner label="Loading roles" />
        )
      ) : (
        <div className={styles.form}>
          <Field label="Role or group">
            <Select value={policyId} onChange={(_, data) => setPolicyId(data.value)}>
              {choices.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.label}
                </option>
              ))}
            </Select>
          </Field>
          {policyId ? <PolicyForm key={policyId} policyId={policyId} users={names.value.users} /> : null}
        </div>
      )}
    </Page>
  );
}

interface FormState {
  maxHours: string;
  mfa: boolean;
  justification: boolean;
  ticket: boolean;
  approval: boolean;
  approverJustification: boolean;
  approvers: string[];
}

function stateOf(policy: Policy): FormState {
  const enabled: string[] = ruleOf(policy, 'Enablement_EndUser_Assignment')?.enabledRules ?? [];
  const approval = ruleOf(policy, 'Approval_EndUser_Assignment')?.setting;
  const stage = approval?.approvalStages?.[0];
  return {
    maxHours: String(
      (isoToMinutes(ruleOf(policy, 'Expiration_EndUser_Assignment')?.maximumDuration) ?? 480) / 60,
    ),
    mfa: enabled.includes('MultiFactorAuthentication'),
    justification: enabled.includes('Justification'),
    ticket: enabled.includes('Ticketing'),
    approval: approval?.isApprovalRequired === true,
    approverJustification: stage?.isApproverJustificationRequired === true,
    approvers: (stage?.primaryApprovers ?? []).map((a: { userId?: string }) => a.userId).filter(Boolean),
  };
}

/** The three EndUser rules, changed as the form says (everything else in them kept). */
function rulesOf(policy: Policy, f: FormState): PolicyRule[] {
  const expiration = ruleOf(policy, 'Expiration_EndUser_Assignment')!;
  const enablement = ruleOf(policy, 'Enablement_EndUser_Assignment')!;
  const approval = ruleOf(policy, 'Approval_EndUser_Assignment')!;
  const stage = approval.setting.approvalStages?.[0] ?? {};
  return [
    { ...expiration, maximumDuration: minutesToIso(Math.round(Number(f.maxHours) * 60)) },
    {
      ...enablement,
      enabledRules: [
        ...(f.mfa ? ['MultiFactorAuthentication'] : []),
        ...(f.justification ? ['Justification'] : []),
        ...(f.ticket ? ['Ticketing'] : []),
      ],
    },
    {
      ...approval,
      setting: {
        ...approval.setting,
        isApprovalRequired: f.approval,
        approvalStages: [
          {
            ...stage,
            isApproverJustificationRequired: f.approverJustification,
            primaryApprovers: f.approvers.map((userId) => ({
              '@odata.type': '#microsoft.graph.singleUser',
              userId,
            })),
          },
          // The form edits the first stage; later stages (multi-stage approval) are kept as they are.
          ...(approval.setting.approvalStages?.slice(1) ?? []),
        ],
      },
    },
  ];
}

function PolicyForm({ policyId, users }: { policyId: string; users: User[] }) {
  const styles = useStyles();
  const policy = useLoad(() => getPolicy(policyId), policyId);
  const [form, setForm] = useState<FormState>();
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (policy.value) setForm(stateOf(policy.value));
  }, [policy.value]);
  if (policy.error) return <ErrorBar error={policy.error} />;
  if (!policy.value || !form) return <Spinner label="Reading the policy" />;
  const set = (change: Partial<FormState>) => {
    setSaved(false);
    setForm({ ...form, ...change });
  };
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      for (const rule of rulesOf(policy.value!, form)) await patchRule(policyId, rule);
      await policy.reload();
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className={styles.form} onSubmit={(e) => void save(e)} aria-label="Activation settings">
      <Field label="Activation maximum duration (hours)" required>
        <Input
          type="number"
          min={0.25}
          max={24 * 365}
          step={0.25}
          value={form.maxHours}
          onChange={(_, d) => set({ maxHours: d.value })}
        />
      </Field>
      <fieldset className={styles.fieldset}>
        <legend className={styles.legend}>On activation, require</legend>
        <Checkbox
          label="Multifactor authentication"
          checked={form.mfa}
          onChange={(_, d) => set({ mfa: d.checked === true })}
        />
        <Checkbox
          label="Justification"
          checked={form.justification}
          onChange={(_, d) => set({ justification: d.checked === true })}
        />
        <Checkbox
          label="Ticket information"
          checked={form.ticket}
          onChange={(_, d) => set({ ticket: d.checked === true })}
        />
        <Checkbox
          label="Approval to activate"
          checked={form.approval}
          onChange={(_, d) => set({ approval: d.checked === true })}
        />
        <Checkbox
          label="Approvers must give a justification"
          checked={form.approverJustification}
          onChange={(_, d) => set({ approverJustification: d.checked === true })}
        />
      </fieldset>
      {form.approval ? (
        <fieldset className={styles.fieldset}>
          <legend className={styles.legend}>Approvers</legend>
          {users.map((u) => (
            <Checkbox
              key={u.id}
              label={`${u.displayName} (${u.userPrincipalName})`}
              checked={form.approvers.includes(u.id)}
              onChange={(_, d) =>
                set({
                  approvers:
                    d.checked === true ? [...form.approvers, u.id] : form.approvers.filter((a) => a !== u.id),
                })
              }
            />
          ))}
        </fieldset>
      ) : null}
      <ErrorBar error={error} />
      {saved ? (
        <MessageBar intent="success" role="status">
          <MessageBarBody>Saved. New activations follow these settings.</MessageBarBody>
        </MessageBar>
      ) : null}
      <div>
        <Button type="submit" appearance="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </Button>
      </div>
    </form>
  );
}
