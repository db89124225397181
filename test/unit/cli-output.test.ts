// The CLI's output rules: with --json only JSON on stdout; progress on stderr, rewritten in place
// on a terminal and one line per change elsewhere; tables padded to their widest cell.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Output, table } from '../../cli/output';

function streams(tty: boolean) {
  const collect = (isTTY: boolean) => {
    const stream = Object.assign(new PassThrough(), { isTTY });
    let text = '';
    stream.on('data', (d) => {
      text += d;
    });
    return { stream, text: () => text };
  };
  const stdout = collect(false);
  const stderr = collect(tty);
  return { io: { stdout: stdout.stream, stderr: stderr.stream }, stdout: stdout.text, stderr: stderr.text };
}

describe('Output', () => {
  it('puts only the JSON result on stdout with --json, messages on stderr', () => {
    const s = streams(false);
    const out = new Output(true, s.io);
    out.say('Session saved.');
    out.result({ ok: true }, () => 'human text');
    expect(JSON.parse(s.stdout())).toEqual({ ok: true });
    expect(s.stderr()).toBe('Session saved.\n');
  });

  it('renders the human form without --json', () => {
    const s = streams(false);
    new Output(false, s.io).result({ ok: true }, () => ['line 1', 'line 2']);
    expect(s.stdout()).toBe('line 1\nline 2\n');
  });

  it('writes one progress line per change when stderr is not a terminal', () => {
    const s = streams(false);
    const out = new Output(false, s.io);
    out.progress('Security Reader: waiting for approval', '(0s)');
    out.progress('Security Reader: waiting for approval', '(1s)');
    out.progress('Security Reader: active', '(2s)');
    out.endProgress();
    expect(s.stderr()).toBe('Security Reader: waiting for approval\nSecurity Reader: active\n');
  });

  it('rewrites the progress line in place on a terminal, ending it before other output', () => {
    const s = streams(true);
    const out = new Output(false, s.io);
    out.progress('Security Reader: provisioning');
    out.progress('Security Reader: active');
    out.say('done');
    expect(s.stderr()).toBe('\r\x1b[2KSecurity Reader: provisioning\r\x1b[2KSecurity Reader: active\ndone\n');
  });
});

describe('table', () => {
  it('pads columns to the widest cell and leaves the last one unpadded', () => {
    expect(
      table(
        ['NAME', 'STATE'],
        [
          ['Security Reader', 'active'],
          ['PIM', 'eligible'],
        ],
      ),
    ).toEqual(['NAME             STATE', 'Security Reader  active', 'PIM              eligible']);
  });
});
