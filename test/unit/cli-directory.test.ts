// How the CLI turns a typed name into a role or PIM group: exact (ignoring case) before partial,
// ids too; unknown names list what exists, ambiguous ones the candidates.
import { describe, expect, it } from 'vitest';
import { matchTarget, type Target } from '../../cli/directory';
import { CliError, ExitCode } from '../../cli/exit-codes';

const targets: Target[] = [
  { kind: 'role', id: '5d6b6bb7-de71-4623-b4af-96380a352509', displayName: 'Security Reader' },
  { kind: 'role', id: '194ae4cb-b126-40b2-bd5b-6091b380977d', displayName: 'Security Administrator' },
  { kind: 'role', id: '3f9c2a51-8d4e-4b7a-9c1e-6a2d5b8f0e47', displayName: 'Search and Purge' },
  { kind: 'group', id: '7c1e3d2a-5b4f-4e8a-9d6c-2f0b1a3e5c71', displayName: 'Search and Purge PIM' },
];

function failure(name: string): CliError {
  try {
    matchTarget(name, targets);
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error(`'${name}' matched`);
}

describe('matchTarget', () => {
  it('matches a whole name ignoring case, before any partial match', () => {
    expect(matchTarget('security reader', targets).id).toBe(targets[0].id);
    expect(matchTarget('  SEARCH AND PURGE ', targets)).toMatchObject({ kind: 'role' });
    expect(matchTarget('search and purge pim', targets)).toMatchObject({ kind: 'group' });
  });

  it('matches an id, and a part of a name that only one has', () => {
    expect(matchTarget('7C1E3D2A-5B4F-4E8A-9D6C-2F0B1A3E5C71', targets).kind).toBe('group');
    expect(matchTarget('admin', targets).displayName).toBe('Security Administrator');
    expect(matchTarget('PIM', targets).displayName).toBe('Search and Purge PIM');
  });

  it('lists the candidates of an ambiguous name (usage error)', () => {
    const err = failure('security');
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toContain('Security Reader (role), Security Administrator (role)');
  });

  it('lists what exists for an unknown name (not found)', () => {
    const err = failure('Global Emperor');
    expect(err.exitCode).toBe(ExitCode.forbiddenOrNotFound);
    expect(err.message).toContain('Search and Purge PIM (PIM group)');
  });
});
