// What every service gets: the stores, the access service (authorization) and the clock.
import type { AccessService } from './access';
import type { Stores } from './stores';

export interface ServiceDeps {
  stores: Stores;
  access: AccessService;
  /** The app's clock (shared/clock.ts); injectable so tests can place operations in time. */
  now: () => Date;
}
