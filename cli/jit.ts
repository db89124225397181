#!/usr/bin/env node
// The `jit` executable: runs the command and turns every failure into a message that says what to
// do and an exit code scripts can test (`jit --help` lists them).
import { CommanderError } from 'commander';
import { CliError, ExitCode } from './exit-codes';
import { wroteResult } from './output';
import { buildProgram } from './program';
import { closePrompts } from './prompt';

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0; commander printed the rest.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const failure =
      err instanceof CliError ? err : new CliError(`Unexpected error: ${describe(err)}`, ExitCode.unexpected);
    process.stderr.write(`jit: ${failure.message}\n`);
    if (argv.includes('--json') && !wroteResult()) {
      const error = {
        code: failure.serviceCode ?? null,
        message: failure.message,
        exitCode: failure.exitCode,
      };
      process.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
    }
    return failure.exitCode;
  } finally {
    closePrompts();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
