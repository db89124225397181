// Where this service may POST: absolute https URLs (plain http only with WEBHOOK_ALLOW_HTTP, for
// local targets), without user:password parts, of a sane length.
import { settings } from '../config';

export function webhookUrlProblem(value: string): string | undefined {
  if (value.length > 2048) return 'The URL is longer than 2048 characters.';
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return 'Not an absolute URL.';
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && settings().WEBHOOK_ALLOW_HTTP)) {
    return 'Only https URLs are accepted (http needs WEBHOOK_ALLOW_HTTP=true).';
  }
  if (u.username || u.password) return 'Put credentials in the secret, not in the URL.';
  return undefined;
}

// Approval actions carry every waiting approver's decision token, so they go only to the chat
// services themselves, never to an endpoint of someone's choosing (who could then decide as each
// approver). With WEBHOOK_ALLOW_HTTP (local targets: tests, dev) any host is allowed.
const CHAT_HOSTS: Record<string, RegExp> = {
  teams: /(^|\.)(webhook\.office\.com|logic\.azure\.com|api\.powerplatform\.com)$/i,
  slack: /^hooks\.slack\.com$/i,
};

export function chatHostProblem(format: string, value: string): string | undefined {
  if (settings().WEBHOOK_ALLOW_HTTP) return undefined;
  const pattern = CHAT_HOSTS[format];
  let host = '';
  try {
    host = new URL(value).hostname;
  } catch {
    return 'Not an absolute URL.';
  }
  if (pattern && !pattern.test(host)) {
    return `Approval actions go only to ${format === 'slack' ? 'hooks.slack.com' : 'a Teams or Power Automate webhook host'}.`;
  }
  return undefined;
}
