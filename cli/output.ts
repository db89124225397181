// Where output goes: with --json, stdout carries only the JSON result and every human message goes
// to stderr; without it, results are tables or lines on stdout. Progress is always on stderr.
import { once } from 'node:events';

export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Whether a command put its result on stdout, so that an error after it adds no second JSON document. */
let resultWritten = false;
export const wroteResult = () => resultWritten;

export class Output {
  private lastProgress: string | undefined;
  private progressOpen = false;

  constructor(
    readonly json: boolean,
    private readonly streams: OutputStreams = process,
  ) {}

  /** A message for people (never on stdout in --json mode, so scripts can parse stdout). */
  say(message: string): void {
    this.endProgress();
    this.streams.stderr.write(`${message}\n`);
  }

  /** The command's result: JSON on stdout with --json, else what `human` renders. */
  result(data: unknown, human: () => string | string[]): void {
    this.endProgress();
    resultWritten = true;
    if (this.json) {
      this.streams.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      return;
    }
    const text = human();
    const lines = Array.isArray(text) ? text : [text];
    if (lines.length) this.streams.stdout.write(`${lines.join('\n')}\n`);
  }

  /** Raw bytes for stdout (the CSV export), waiting while the reader is behind. */
  async write(chunk: string | Uint8Array): Promise<void> {
    resultWritten = true;
    if (!this.streams.stdout.write(chunk)) await once(this.streams.stdout, 'drain');
  }

  /**
   * A live status line: rewritten in place on a terminal, with `detail` (e.g. the time waited) so
   * it visibly moves; elsewhere (a log, a pipe) one line per change of `text`, so logs show each step once.
   */
  progress(text: string, detail?: string): void {
    const tty = this.streams.stderr.isTTY === true;
    const line = tty && detail ? `${text} ${detail}` : text;
    if (line === this.lastProgress) return;
    this.lastProgress = line;
    if (tty) {
      this.streams.stderr.write(`\r\x1b[2K${line}`);
      this.progressOpen = true;
    } else {
      this.streams.stderr.write(`${line}\n`);
    }
  }

  /** Ends a progress line left open on a terminal. */
  endProgress(): void {
    if (this.progressOpen) this.streams.stderr.write('\n');
    this.progressOpen = false;
    this.lastProgress = undefined;
  }
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
