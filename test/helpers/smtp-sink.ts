// A real SMTP server (smtp-server) in the test process, on 127.0.0.1 and a free port, that keeps
// every message it receives: envelope, subject, and the decoded text and HTML parts.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  raw: string;
}

export interface SmtpSink {
  port: number;
  mails: ReceivedMail[];
  /** The first mail (received so far or later) that matches, or an error at the deadline. */
  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          ...parse(raw),
          raw,
        });
        callback();
      });
    },
  });
  // A host killed mid-delivery (the crash tests kill -9) resets its connection; smtp-server reports
  // that as an 'error' on the server, which would otherwise be an uncaught exception in the test run.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  server.server.unref();
  return {
    port,
    mails,
    async waitFor(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = mails.find(match);
        if (found) return found;
        if (Date.now() > deadline) {
          const seen = mails.map((m) => `${m.to.join(',')}: ${m.subject}`).join('\n');
          throw new Error(`no matching mail in ${timeoutMs} ms; received:\n${seen}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Just enough MIME for nodemailer's output: headers, one level of multipart/alternative, and
// quoted-printable, base64 or 7bit parts.
function parse(raw: string): { subject: string; text: string; html: string } {
  const [head, body] = split(raw);
  const headers = headerMap(head);
  const subject = decodeWords(headers.get('subject') ?? '');
  const type = headers.get('content-type') ?? 'text/plain';
  const parts: { type: string; content: string }[] = [];
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (boundary) {
    for (const piece of body.split(`--${boundary}`).slice(1)) {
      if (piece.startsWith('--')) break;
      const [h, b] = split(piece.replace(/^\r?\n/, ''));
      const hm = headerMap(h);
      parts.push({
        type: hm.get('content-type') ?? '',
        content: decode(b, hm.get('content-transfer-encoding')),
      });
    }
  } else {
    parts.push({ type, content: decode(body, headers.get('content-transfer-encoding')) });
  }
  return {
    subject,
    text: parts.find((p) => /text\/plain/i.test(p.type))?.content ?? '',
    html: parts.find((p) => /text\/html/i.test(p.type))?.content ?? '',
  };
}

function split(s: string): [string, string] {
  const at = s.search(/\r?\n\r?\n/);
  if (at < 0) return [s, ''];
  const sep = /\r?\n\r?\n/.exec(s.slice(at))?.[0].length ?? 2;
  return [s.slice(0, at), s.slice(at + sep)];
}

function headerMap(head: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) map.set(line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim());
  }
  return map;
}

function decode(body: string, encoding = '7bit'): string {
  const trimmed = body.replace(/\r?\n$/, '');
  if (/base64/i.test(encoding)) return Buffer.from(trimmed.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/quoted-printable/i.test(encoding)) {
    const bytes = trimmed.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h) => `%${h}`);
    return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
  }
  return trimmed;
}

function decodeWords(value: string): string {
  return value.replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : decodeURIComponent(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, '%$1')),
  );
}
