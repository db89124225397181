// What the notification admin endpoints share: admins only (Privileged Role Administrator, Global
// Administrator, bootstrap admins), and a clear 503 when the sealing key for secrets is missing.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authenticate } from '../shared/auth/authenticate';
import { now } from '../shared/clock';
import { forbidden, serviceUnavailable } from '../shared/http/errors';
import { httpHandler, type RequestInfo, type WrappedHandler } from '../shared/http/handler';
import { NotifyKeyMissingError } from '../shared/notify/secrets';
import { services } from '../shared/services';

export async function requireAdmin(req: HttpRequest): Promise<string> {
  const caller = await authenticate(req);
  if (!(await services().access.canManage(caller.id, now()))) {
    throw forbidden('Only privileged role administrators manage notifications and connectors.');
  }
  return caller.id;
}

/** httpHandler for admin endpoints: the caller id is checked first and handed over. */
export function adminHandler(
  fn: (
    req: HttpRequest,
    callerId: string,
    context: InvocationContext,
    info: RequestInfo,
  ) => Promise<HttpResponseInit>,
): WrappedHandler {
  return httpHandler(async (req, context, info) => {
    const callerId = await requireAdmin(req);
    try {
      return await fn(req, callerId, context, info);
    } catch (err) {
      if (err instanceof NotifyKeyMissingError) throw serviceUnavailable(err.message);
      throw err;
    }
  });
}
