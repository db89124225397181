// Mail over SMTP with nodemailer: host, port, TLS and sender from settings. One transport per
// process (pooled connections are not worth it at PIM's volume). `mailConfigured()` is false
// without SMTP_HOST, and then no mail deliveries are planned at all.
import nodemailer, { type Transporter } from 'nodemailer';
import { settings } from '../config';
import type { MailContent } from './templates';

let transport: Transporter | undefined;

export function mailConfigured(): boolean {
  return Boolean(settings().SMTP_HOST?.trim());
}

function theTransport(): Transporter {
  if (!transport) {
    const s = settings();
    transport = nodemailer.createTransport({
      host: s.SMTP_HOST,
      port: s.SMTP_PORT,
      secure: s.SMTP_SECURE,
      requireTLS: s.SMTP_REQUIRE_TLS,
      tls: { rejectUnauthorized: s.SMTP_TLS_REJECT_UNAUTHORIZED },
      auth: s.SMTP_USER ? { user: s.SMTP_USER, pass: s.SMTP_PASSWORD ?? '' } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }
  return transport;
}

/** Sends one message; throws when the server refuses it or cannot be reached (the caller retries). */
export async function sendMail(to: readonly string[], content: MailContent, id: string): Promise<void> {
  await theTransport().sendMail({
    from: settings().MAIL_FROM,
    to: [...to],
    subject: content.subject,
    text: content.text,
    html: content.html,
    // A stable Message-ID per delivery lets mail clients fold a resend after a crash into one.
    messageId: `<${id}@jit-access>`,
    headers: { 'Auto-Submitted': 'auto-generated' },
  });
}

/** Closes the transport (tests; settings changes). */
export function resetMail(): void {
  transport?.close();
  transport = undefined;
}
