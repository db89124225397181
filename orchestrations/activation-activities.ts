// The activation orchestration's steps: each is one call of the activation service, which acts only
// if the request has not moved on, so a step run twice after a crash changes nothing the second time.
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { ActivationStep, type ActivationSteps } from '../shared/domain/activation-contract';
import { useDurableClient } from './signals';

const client = df.input.durableClient();
type Input<K extends keyof ActivationSteps> = ActivationSteps[K]['input'];

df.app.activity(ActivationStep.timeOut, {
  extraInputs: [client],
  handler: (i: Input<'timeOut'>, ctx: InvocationContext) =>
    useDurableClient(ctx).activation.timeOut(i.principalId, i.requestId),
});

df.app.activity(ActivationStep.expire, {
  extraInputs: [client],
  handler: (i: Input<'expire'>, ctx: InvocationContext) =>
    useDurableClient(ctx).activation.expire(i.principalId, i.requestId),
});

df.app.activity(ActivationStep.remind, {
  extraInputs: [client],
  handler: async (i: Input<'remind'>, ctx: InvocationContext) => {
    await useDurableClient(ctx).activation.remind(i.principalId, i.requestId, i.endDateTime);
    return null;
  },
});
