// Keeps the virtual clock's offset in storage beside the task hub's state, so that a host killed and
// restarted on the same storage resumes at the virtual time it had reached: durable timers, tokens
// and rows written "in the future" stay consistent, and a crash test needs no offset of its own.
// The offset lives with the data it belongs to: fresh storage starts at real time again.
import { TableClient } from '@azure/data-tables';

const PARTITION = '~devhost';
const ROW = 'clock';

export class ClockStore {
  private readonly table: TableClient;

  constructor(connectionString: string, hubName: string) {
    // The durable engine's table (one per task hub): a partition no instance can have.
    const tableName = `${hubName.replace(/[^A-Za-z0-9]/g, '')}Instances`;
    this.table = TableClient.fromConnectionString(connectionString, tableName, {
      allowInsecureConnection: true,
    });
  }

  /** The saved offset in ms, or 0 (none saved, or storage unreachable: logged by the caller). */
  async load(): Promise<number> {
    try {
      const row = await this.table.getEntity<{ offsetMs: number }>(PARTITION, ROW);
      const ms = Number(row.offsetMs);
      return Number.isFinite(ms) && ms > 0 ? ms : 0;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return 0;
      throw err;
    }
  }

  async save(offsetMs: number): Promise<void> {
    const write = () =>
      this.table.upsertEntity({ partitionKey: PARTITION, rowKey: ROW, offsetMs }, 'Replace');
    try {
      await write();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      await this.table.createTable();
      await write();
    }
  }
}
