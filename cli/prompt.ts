// Questions on a terminal (the demo user to sign in as, MFA, a code); never asked when stdin is not
// a TTY, so scripts get an exit code instead of a hang. One readline interface serves every question
// of a command, so answers typed ahead are not lost between questions.
import readline from 'node:readline/promises';
import { CliError, ExitCode } from './exit-codes';

let terminal: readline.Interface | undefined;

export const canPrompt = (): boolean => process.stdin.isTTY === true;

export async function ask(question: string): Promise<string> {
  terminal ??= readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await terminal.question(question)).trim();
  } catch (err) {
    // Ctrl+C or Ctrl+D at the question.
    if ((err as Error).name === 'AbortError') throw new CliError('Canceled.', ExitCode.usage);
    throw err;
  }
}

/** Lets the process end: an open interface keeps stdin open. */
export function closePrompts(): void {
  terminal?.close();
  terminal = undefined;
}
