// POST /api/test/faults {"point":"outbox:afterCommit"}: arms a crash point (shared/fault.ts) for the
// crash tests, once the publication of earlier calls has finished. Registered only with FAULT_INJECTION_ENABLED=true, which nothing but tests sets;
// anonymous because the tests arm it before they break a call, and it exists nowhere else.
import { app } from '@azure/functions';
import { z } from 'zod';
import { armFault, faultInjectionEnabled } from '../shared/fault';
import { httpHandler, noContent } from '../shared/http/handler';
import { readJsonBody } from '../shared/http/validation';
import { services } from '../shared/services';

const Arm = z.strictObject({
  point: z
    .string()
    .regex(/^[a-z]+:[A-Za-z]+$/)
    .nullable(),
});

if (faultInjectionEnabled()) {
  app.http('testFaults', {
    route: 'test/faults',
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: httpHandler(async (req) => {
      const { point } = await readJsonBody(req, Arm);
      // What earlier calls are still publishing finishes first: the point is for the next call.
      await services().stores.outbox.whenIdle();
      armFault(point ?? undefined);
      return noContent();
    }),
  });
}
