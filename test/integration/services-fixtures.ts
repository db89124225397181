// Shared setup of the data-layer integration tests: each test file gets its own tables (a random
// TABLE_PREFIX) in the run's Azurite, a controllable clock, and services with a bootstrap admin.
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, inject } from 'vitest';
import { createServices, type ServiceOptions, type Services } from '../../shared/services';
import { userContext } from '../../shared/services/context';

export function isolateTables(): void {
  beforeAll(() => {
    process.env.AzureWebJobsStorage = inject('storageConnectionString');
    process.env.TABLE_PREFIX = `t${randomBytes(5).toString('hex')}`;
  });
}

/** A clock the services read; tests move it instead of sleeping. */
export class TestClock {
  constructor(public current = new Date('2030-01-15T09:00:00.000Z')) {}
  now = (): Date => new Date(this.current.getTime());
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const BOOTSTRAP_ADMIN = { id: '0b5e7a52-0000-4000-8000-00000000b007', displayName: 'Bootstrap Admin' };

export function makeServices(clock: TestClock, options: ServiceOptions = {}): Services {
  return createServices({ bootstrapAdminIds: [BOOTSTRAP_ADMIN.id], now: clock.now, ...options });
}

export const adminCtx = (mfa = true) => userContext({ ...BOOTSTRAP_ADMIN, mfa });

export function newUser(name = 'User'): { id: string; displayName: string; userPrincipalName: string } {
  const id = randomUUID();
  return {
    id,
    displayName: `${name} ${id.slice(0, 4)}`,
    userPrincipalName: `${id.slice(0, 8)}@contoso.example`,
  };
}
