// TOTP authenticators in table `MfaAuthenticators`: PartitionKey = principal id, RowKey = 'totp'.
// Point reads and ETag-guarded writes only; no query filters, so no untrusted text ever reaches one.
import { RestError, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { tableClient } from '../storage/connection';
import { ensureTable } from '../storage/tables';

export const TOTP_TABLE = 'MfaAuthenticators';
const ROW_KEY = 'totp';

export type TotpState = 'pending' | 'active';

/** What is stored. Times are ISO-8601 UTC strings; `lastUsedStep` is the last accepted TOTP time step. */
export interface TotpRecord {
  state: TotpState;
  encryptedSecret: string;
  createdDateTime: string;
  confirmedDateTime?: string;
  failedAttempts: number;
  lockedUntil?: string;
  lastUsedStep?: number;
}

export interface StoredTotp extends TotpRecord {
  principalId: string;
  etag: string;
}

/** The row changed (412) or appeared (409) since it was read: re-read and decide again. */
export class StaleTotpError extends Error {
  constructor() {
    super('TOTP authenticator changed since it was read');
    this.name = 'StaleTotpError';
  }
}

// Stored rows are parsed, not trusted: a hand-edited or half-migrated row fails loudly here.
const Row = z.object({
  state: z.enum(['pending', 'active']),
  encryptedSecret: z.string().min(1),
  createdDateTime: z.string(),
  confirmedDateTime: z.string().optional(),
  failedAttempts: z.number().int().min(0),
  lockedUntil: z.string().optional(),
  lastUsedStep: z.number().int().optional(),
});

// Principal ids are directory object ids: printable ASCII, without the characters Table Storage
// refuses in keys. Anything else is a caller bug, rejected before it reaches storage.
const PRINTABLE_ASCII = /^[!-~]{1,256}$/;
const FORBIDDEN_IN_KEYS = /[/\\#?]/;

function partitionKey(principalId: string): string {
  if (!PRINTABLE_ASCII.test(principalId) || FORBIDDEN_IN_KEYS.test(principalId)) {
    throw new TypeError('Invalid principal id');
  }
  return principalId;
}

function statusOf(err: unknown): number | undefined {
  return err instanceof RestError ? err.statusCode : undefined;
}

export class TotpRepository {
  constructor(private readonly table: TableClient = tableClient(TOTP_TABLE)) {}

  async get(principalId: string): Promise<StoredTotp | undefined> {
    const pk = partitionKey(principalId);
    await this.ensureTable();
    try {
      const e = await this.table.getEntity<Record<string, unknown>>(pk, ROW_KEY);
      return { ...Row.parse(e), principalId, etag: e.etag };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Inserts a new row; StaleTotpError if one already exists. */
  async create(principalId: string, record: TotpRecord): Promise<void> {
    const pk = partitionKey(principalId);
    await this.ensureTable();
    try {
      await this.table.createEntity({ partitionKey: pk, rowKey: ROW_KEY, ...clean(record) });
    } catch (err) {
      if (statusOf(err) === 409) throw new StaleTotpError();
      throw err;
    }
  }

  /** Replaces the whole row if it is unchanged since read with `etag`; StaleTotpError otherwise. */
  async replace(principalId: string, record: TotpRecord, etag: string): Promise<void> {
    const pk = partitionKey(principalId);
    await this.ensureTable();
    try {
      // 'Replace' drops properties left out (e.g. lockedUntil once cleared).
      await this.table.updateEntity({ partitionKey: pk, rowKey: ROW_KEY, ...clean(record) }, 'Replace', {
        etag,
      });
    } catch (err) {
      // 404: deleted since read; the caller's re-read will see that.
      if (statusOf(err) === 412 || statusOf(err) === 404) throw new StaleTotpError();
      throw err;
    }
  }

  /** Deletes whatever is there (unconditionally: deletion is the user's way out). True if a row existed. */
  async delete(principalId: string): Promise<boolean> {
    const pk = partitionKey(principalId);
    await this.ensureTable();
    try {
      await this.table.deleteEntity(pk, ROW_KEY);
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  // Created once per process (at startup: shared/services/index.ts); a failure is not cached.
  private ensureTable(): Promise<void> {
    return ensureTable(this.table);
  }
}

// Undefined optionals are left out rather than sent as nulls.
function clean(record: TotpRecord): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out[k] = v;
  return out;
}
