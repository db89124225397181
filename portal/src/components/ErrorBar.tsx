// An API failure, shown where it happened: the service's message, and for policy refusals each
// failed rule with what would pass.
import { MessageBar, MessageBarBody, MessageBarTitle } from '@fluentui/react-components';
import { ApiError } from '../api/client';

export function ErrorBar({ error }: { error: unknown }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const details = api?.details ?? [];
  return (
    <MessageBar intent="error" layout="multiline" role="alert">
      <MessageBarBody>
        <MessageBarTitle>{api ? titleOf(api) : 'Something went wrong'}</MessageBarTitle>
        {details.length > 0 ? (
          <ul>
            {details.map((d) => (
              <li key={`${d.target}:${d.message}`}>
                <strong>{d.target}</strong>: {d.message}
              </li>
            ))}
          </ul>
        ) : (
          <span> {message}</span>
        )}
      </MessageBarBody>
    </MessageBar>
  );
}

function titleOf(error: ApiError): string {
  if (error.code === 'RoleAssignmentRequestPolicyValidationFailed') return "The role's policy needs more";
  if (error.status === 403) return 'Not allowed';
  if (error.status === 404) return 'Not found';
  return error.code;
}
