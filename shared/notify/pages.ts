// The small HTML pages of approval links: a confirmation form (GET) and outcomes (POST, errors).
// Locked down: no scripts, no outside resources, no framing, no caching, no referrer (the URL holds
// the link's token).
import type { HttpResponseInit } from '@azure/functions';
import { html, type Raw } from './html';

export const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

export function page(status: number, title: string, body: Raw): HttpResponseInit {
  const doc = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title}</title></head>
<body style="font-family:Segoe UI,Arial,sans-serif;max-width:40em;margin:2em auto">
<h1 style="font-size:1.4em">${title}</h1>
${body}
</body></html>`;
  return { status, headers: { ...PAGE_HEADERS }, body: doc.value };
}

export interface ConfirmFacts {
  decision: 'Approve' | 'Deny';
  approverName: string;
  requesterName: string;
  roleName: string;
  scope: string | null;
  justification: string | null;
  ticket: string | null;
  justificationRequired: boolean;
}

export function confirmPage(f: ConfirmFacts): HttpResponseInit {
  const verb = f.decision === 'Approve' ? 'approve' : 'deny';
  const rows: Raw[] = [
    html`<tr><th align="left">Requester</th><td>${f.requesterName}</td></tr>`,
    html`<tr><th align="left">Role</th><td>${f.roleName}</td></tr>`,
  ];
  if (f.scope) rows.push(html`<tr><th align="left">Scope</th><td>${f.scope}</td></tr>`);
  if (f.justification)
    rows.push(html`<tr><th align="left">Justification</th><td>${f.justification}</td></tr>`);
  if (f.ticket) rows.push(html`<tr><th align="left">Ticket</th><td>${f.ticket}</td></tr>`);
  const required = f.justificationRequired ? html` required` : html``;
  return page(
    200,
    `${f.decision} this request?`,
    html`<p>${f.approverName}, you are about to <strong>${verb}</strong> this activation request.
Nothing happens until you press the button.</p>
<table>${rows.reduce((a, r) => html`${a}${r}`, html``)}</table>
<form method="post">
<p><label>Your justification${f.justificationRequired ? ' (required)' : ''}<br>
<textarea name="justification" rows="3" cols="50" maxlength="500"${required}></textarea></label></p>
<p><button type="submit">${f.decision}</button></p>
</form>`,
  );
}
