// One live activation per principal and target. The claim row is created (never upserted) when a
// request starts, so of two concurrent activations exactly one wins; the other extends the winner.
//   JitClaims  PK = principal id   RK = target key   requestId = the holder
import { statusCode, table } from './tables';
import { type Target, targetKey } from './targets';

/** Claims the target for `requestId` unless a live request holds it; returns the holder after the call. */
export async function claimActivation(
  principalId: string,
  target: Target,
  requestId: string,
  isLive: (holder: string) => Promise<boolean>,
): Promise<string> {
  const t = await table('claims');
  const rowKey = targetKey(target);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await t.createEntity({ partitionKey: principalId, rowKey, requestId });
      return requestId;
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
    }
    let existing: { requestId: string; etag: string };
    try {
      const e = await t.getEntity<{ requestId: string }>(principalId, rowKey);
      existing = { requestId: e.requestId, etag: e.etag };
    } catch (err) {
      if (statusCode(err) === 404) continue;
      throw err;
    }
    if (await isLive(existing.requestId)) return existing.requestId;
    try {
      await t.updateEntity({ partitionKey: principalId, rowKey, requestId }, 'Replace', {
        etag: existing.etag,
      });
      return requestId;
    } catch (err) {
      if (statusCode(err) !== 412 && statusCode(err) !== 404) throw err;
    }
  }
  throw new Error('Could not claim the activation: too much contention.');
}

/** Releases the claim if `requestId` still holds it. */
export async function releaseActivation(
  principalId: string,
  target: Target,
  requestId: string,
): Promise<void> {
  const t = await table('claims');
  const rowKey = targetKey(target);
  try {
    const e = await t.getEntity<{ requestId: string }>(principalId, rowKey);
    if (e.requestId === requestId) await t.deleteEntity(principalId, rowKey, { etag: e.etag });
  } catch (err) {
    if (statusCode(err) !== 404 && statusCode(err) !== 412) throw err;
  }
}
