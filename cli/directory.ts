// Roles and PIM groups by name: what people type (`"Security Reader"`) becomes the id the API
// wants, and ids in answers become names again.
import { paths, type TargetKind } from './api-paths';
import { CliError, ExitCode } from './exit-codes';
import type { ApiClient } from './http-client';

export interface Target {
  kind: TargetKind;
  id: string;
  displayName: string;
}

interface Named {
  id: string;
  displayName: string;
}

export class Directory {
  private targets: Promise<Target[]> | undefined;

  constructor(private readonly client: ApiClient) {}

  /** Every role definition and group, read once per command. */
  all(): Promise<Target[]> {
    this.targets ??= Promise.all([
      this.client.list<Named>(`${paths.roleDefinitions}?$select=displayName`),
      this.client.list<Named>(`${paths.groups}?$select=displayName`),
    ]).then(([roles, groups]) => [
      ...roles.map((r) => ({ kind: 'role' as const, id: r.id, displayName: r.displayName })),
      ...groups.map((g) => ({ kind: 'group' as const, id: g.id, displayName: g.displayName })),
    ]);
    return this.targets;
  }

  async nameOf(kind: TargetKind, id: string): Promise<string> {
    const found = (await this.all()).find((t) => t.kind === kind && t.id === id);
    return found?.displayName ?? id;
  }

  /** Resolves a name (or id) the way people expect; see `matchTarget`. */
  async resolve(name: string): Promise<Target> {
    return matchTarget(name, await this.all());
  }
}

const describe = (t: Target) => `${t.displayName} (${t.kind === 'role' ? 'role' : 'PIM group'})`;

/**
 * An exact id, else the one name equal to `name` ignoring case, else the one name containing it.
 * None: exit 4 listing what there is; several: exit 2 listing the candidates.
 */
export function matchTarget(name: string, targets: Target[]): Target {
  const wanted = name.trim().toLowerCase();
  const byId = targets.find((t) => t.id.toLowerCase() === wanted);
  if (byId) return byId;
  const exact = targets.filter((t) => t.displayName.toLowerCase() === wanted);
  const candidates = exact.length
    ? exact
    : targets.filter((t) => t.displayName.toLowerCase().includes(wanted));
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) {
    throw new CliError(
      `No role or PIM group is called '${name}'. There are: ${targets.map(describe).join(', ')}.`,
      ExitCode.forbiddenOrNotFound,
    );
  }
  throw new CliError(
    `'${name}' could mean ${candidates.map(describe).join(', ')}: give the full name in quotes.`,
    ExitCode.usage,
  );
}
