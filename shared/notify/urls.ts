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
