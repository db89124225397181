// jit check: may the signed-in person (or, for readers and admins, someone else) do this action
// here, now? Exit 0 when allowed, 8 when not.
import { paths } from '../api-paths';
import { type CommonOptions, signedIn } from '../context';
import { CliError, ExitCode } from '../exit-codes';

interface AccessCheck {
  allowed: boolean;
  evaluatedDateTime: string;
  grants: {
    roleDefinitionId: string;
    directoryScopeId: string;
    memberType: string;
    endDateTime: string | null;
  }[];
}

export async function check(
  action: string,
  options: CommonOptions & { scope?: string; principal?: string },
): Promise<void> {
  const { client, out } = signedIn(options);
  const scope = options.scope ?? '/';
  const principalId = options.principal;
  const answer = await client.post<AccessCheck>(paths.accessCheck, { action, scope, principalId });
  const whose = principalId ? ` for ${principalId}` : '';
  out.result({ action, scope, principalId: principalId ?? null, ...answer }, () => {
    if (!answer.allowed) return `denied${whose}: ${action} at ${scope}`;
    const ends = answer.grants.map((g) => g.endDateTime).filter((e): e is string => !!e);
    return `allowed${whose}: ${action} at ${scope}${ends.length ? ` (until ${ends.sort().at(-1)})` : ''}`;
  });
  if (!answer.allowed) {
    throw new CliError(
      principalId
        ? `Access denied for ${principalId}.`
        : `Access denied: activate a role that allows ${action} (jit roles, jit activate).`,
      ExitCode.accessDenied,
    );
  }
}
