// "Used once" records: approval links (by jti) and approval webhook signatures (replays). Table
// Storage refuses to insert an existing key, so of two racing uses exactly one wins.
import { notifyTable, statusCode } from './tables';

export type UseKind = 'link' | 'webhook';

/** Records the use; false when `key` was used before. */
export async function useOnce(kind: UseKind, key: string, at: Date, by: string): Promise<boolean> {
  try {
    await (await notifyTable('uses')).createEntity({
      partitionKey: `${kind}|${key}`,
      rowKey: 'used',
      usedDateTime: at.toISOString(),
      usedBy: by,
    });
    return true;
  } catch (err) {
    if (statusCode(err) === 409) return false;
    throw err;
  }
}

export async function wasUsed(kind: UseKind, key: string): Promise<boolean> {
  try {
    await (await notifyTable('uses')).getEntity(`${kind}|${key}`, 'used');
    return true;
  } catch (err) {
    if (statusCode(err) === 404) return false;
    throw err;
  }
}
