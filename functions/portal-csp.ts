// The portal's Content-Security-Policy. Scripts only from the site itself (no inline script, no
// eval); styles from the site and from <style> elements carrying this response's nonce, which is how
// Griffel (Fluent UI's CSS-in-JS) inserts its rules: the page reads the nonce from its meta tag and
// gives it to Griffel's renderer. The sign-in authority is reachable only for MSAL's token calls.
import { randomBytes } from 'node:crypto';

/** What index.html carries where the per-response nonce goes (portal/index.html). */
export const NONCE_PLACEHOLDER = '__CSP_NONCE__';

export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

export function contentSecurityPolicy(nonce: string, authorityOrigin?: string): string {
  const authority = authorityOrigin ? ` ${authorityOrigin}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${authority}`,
    `frame-src ${authorityOrigin ?? "'none'"}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
