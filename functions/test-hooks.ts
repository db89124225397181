// Hooks for crash tests and benchmarks, registered only with FAULT_INJECTION_ENABLED=true, which
// nothing but tests and benchmarks set (anonymous: they exist nowhere else):
//   POST /api/test/faults {"point":"outbox:afterCommit"}  arms a crash point (shared/fault.ts) for
//                                                         the next call, once earlier calls' publication
//                                                         has finished; {"point":null} disarms
//   GET  /api/test/idle                                   answers once nothing waits for publication
import { app } from '@azure/functions';
import { z } from 'zod';
import { armFault, faultInjectionEnabled } from '../shared/fault';
import { apiRoute } from '../shared/http/api-route';
import { httpHandler, json, noContent } from '../shared/http/handler';
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
    route: apiRoute('test/faults'),
    methods: ['POST'],
    authLevel: 'anonymous',
    handler: httpHandler(async (req) => {
      const { point } = await readJsonBody(req, Arm);
      await services().stores.outbox.whenIdle();
      armFault(point ?? undefined);
      return noContent();
    }),
  });
  app.http('testIdle', {
    route: apiRoute('test/idle'),
    methods: ['GET'],
    authLevel: 'anonymous',
    handler: httpHandler(async () => {
      await services().stores.outbox.whenIdle();
      return json(200, { idle: true });
    }),
  });
}
