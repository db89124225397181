// Questions on a terminal (the demo user to sign in as, an MFA code); never asked when stdin is not
// a TTY, so scripts get an exit code instead of a hang.
import readline from 'node:readline/promises';

export const canPrompt = (): boolean => process.stdin.isTTY === true;

export async function ask(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}
