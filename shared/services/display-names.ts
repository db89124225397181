// Display names only decorate audit rows and notices, and every step of every request needs the
// same few: they are kept for a minute per process instead of read from storage each time.
// Built-in roles are named by code and cost nothing.
import type { TargetResource } from '../audit/directory-audit';
import type { Target } from '../domain/schedules';
import { principalResource, targetResource } from './audit-events';
import type { Stores } from './stores';

const NAME_TTL_MS = 60_000;

export class DisplayNames {
  private readonly names = new Map<string, { value: Promise<TargetResource>; at: number }>();

  constructor(private readonly stores: Stores) {}

  /** A user (or group) as an audit target, with its display name. */
  principal(id: string): Promise<TargetResource> {
    return this.remembered(`p|${id.toLowerCase()}`, () => principalResource(this.stores, id.toLowerCase()));
  }

  /** The role or group as an audit target, with its display name. */
  target(target: Target): Promise<TargetResource> {
    const id = target.kind === 'role' ? target.roleDefinitionId : target.groupId;
    return this.remembered(`t|${target.kind}|${id}`, () => targetResource(this.stores, target));
  }

  async nameOf(principalId: string | undefined): Promise<string | null> {
    return principalId ? (await this.principal(principalId)).displayName : null;
  }

  async targetName(target: Target): Promise<string | null> {
    return (await this.target(target)).displayName;
  }

  /** A name just learnt (e.g. from the caller's token) saves a read later. */
  learn(id: string, displayName: string | null): void {
    if (!displayName) return;
    const key = `p|${id.toLowerCase()}`;
    if (this.names.has(key)) return;
    this.names.set(key, {
      value: Promise.resolve({ id: id.toLowerCase(), type: 'User', displayName }),
      at: performance.now(),
    });
  }

  private remembered(key: string, load: () => Promise<TargetResource>): Promise<TargetResource> {
    const hit = this.names.get(key);
    if (hit && performance.now() - hit.at < NAME_TTL_MS) return hit.value;
    if (this.names.size > 10_000) this.names.clear();
    const value = load();
    this.names.set(key, { value, at: performance.now() });
    value.catch(() => this.names.delete(key));
    return value;
  }
}
