// Access reviews, in Graph's shapes (/v1.0/identityGovernance/accessReviews/definitions):
//   POST/GET  definitions                                   admins create; readers list
//   GET       definitions/filterByCurrentUser(on='reviewer')
//   GET/PUT/PATCH/DELETE definitions/{id}
//   GET       definitions/{id}/instances[/filterByCurrentUser(on='reviewer')]
//   GET       definitions/{id}/instances/{instanceId}
//   POST      .../instances/{instanceId}/stop | applyDecisions | batchRecordDecisions | resetDecisions
//   GET       .../instances/{instanceId}/decisions[/filterByCurrentUser(on='reviewer')]
//   GET/PATCH .../instances/{instanceId}/decisions/{decisionId}
// The service (shared/services/access-reviews.ts) authorizes each object; this layer maps shapes.
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import '../orchestrations/access-review';
import { useDurableClient } from '../orchestrations/signals';
import {
  type ReviewDefinition,
  ReviewDefinitionInput,
  toGraphDecision,
  toGraphDefinition,
  toGraphInstance,
} from '../shared/domain/access-reviews';
import { apiRoute } from '../shared/http/api-route';
import { notFound } from '../shared/http/errors';
import { httpHandler, json, noContent, type RequestInfo } from '../shared/http/handler';
import type { GraphTypeName } from '../shared/openapi/graph-schemas';
import { type OperationSpec, registerOperation } from '../shared/openapi/registry';
import { type OperationContext, type Services, services } from '../shared/services';
import { registerAdminChangeKind } from '../shared/services/admin-changes';
import { ACCEPTED_RESPONSE, breakGlassOf, proposalAccepted } from './admin-change-gate';
import { operationContext, readRawBody } from './directory-common';

const BASE = 'v1.0/identityGovernance/accessReviews/definitions';
const REVIEWER = "filterByCurrentUser(on='reviewer')";
const DEF = `${BASE}/{definitionId}`;
const INST = `${DEF}/instances/{instanceId}`;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const client = df.input.durableClient();

type Handler = (s: Services, ctx: OperationContext, req: HttpRequest) => Promise<HttpResponseInit>;

/** One route: its OpenAPI entries and its function; ids in the path must be GUIDs (else 404). */
function route(
  name: string,
  path: string,
  handlers: Partial<Record<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', Handler>>,
  specs: Omit<OperationSpec, 'path' | 'tags'>[],
): void {
  for (const spec of specs) registerOperation({ ...spec, path: `/${path}`, tags: ['accessReviews'] });
  app.http(name, {
    route: apiRoute(path),
    methods: Object.keys(handlers) as ('GET' | 'POST')[],
    extraInputs: [client],
    handler: httpHandler(async (req: HttpRequest, context: InvocationContext, info: RequestInfo) => {
      const s = useDurableClient(context);
      const ctx = await operationContext(req, info);
      for (const [key, value] of Object.entries(req.params)) {
        if (key.endsWith('Id') && !GUID.test(value))
          throw notFound(`No access review object with id '${value}'.`);
      }
      const handler = handlers[req.method as keyof typeof handlers];
      return handler!(s, ctx, req);
    }),
  });
}

const graph = (type: GraphTypeName, description: string, collection = false) => ({
  description,
  graph: type,
  ...(collection ? { collection: true } : {}),
});

const p = (req: HttpRequest) => ({
  definitionId: req.params.definitionId!.toLowerCase(),
  instanceId: (req.params.instanceId ?? '').toLowerCase(),
  decisionId: (req.params.decisionId ?? '').toLowerCase(),
});

async function update(s: Services, ctx: OperationContext, req: HttpRequest): Promise<HttpResponseInit> {
  const change = { id: p(req).definitionId, body: await readRawBody(req) };
  const out = await s.adminChanges.submit<typeof change, ReviewDefinition>(
    ctx,
    UPDATE_KIND,
    change,
    breakGlassOf(req),
  );
  return 'proposal' in out ? proposalAccepted(req, out.proposal) : json(200, toGraphDefinition(out.applied));
}

const DecisionBody = z
  .object({
    decision: z.enum(['Approve', 'Deny', 'DontKnow']),
    justification: z.string().max(1000).nullish(),
  })
  .meta({ id: 'accessReviewInstanceDecisionItem_input' });
const BatchBody = DecisionBody.extend({
  principalId: z.guid().nullish(),
  resourceId: z.guid().nullish(),
}).meta({ id: 'batchRecordDecisions_input' });

// Under the two-person rule (when on), creating, changing and deleting a review are proposals that a
// second admin approves (shared/services/admin-changes.ts); a replay is idempotent under its id.
const CREATE_KIND = 'accessReviewDefinition.create';
const UPDATE_KIND = 'accessReviewDefinition.update';
const DELETE_KIND = 'accessReviewDefinition.delete';

registerAdminChangeKind<unknown, ReviewDefinition>({
  kind: CREATE_KIND,
  async propose(ctx, body) {
    return {
      description: `Create access review '${await services().reviews.checkNewDefinition(ctx, body)}'`,
    };
  },
  apply: (ctx, body, replay) =>
    services().reviews.createDefinition(ctx, body, replay ? { id: replay.proposalId } : {}),
  showResult: toGraphDefinition,
});
registerAdminChangeKind<{ id: string; body: unknown }, ReviewDefinition>({
  kind: UPDATE_KIND,
  async propose(ctx, { id }) {
    await services().access.requireManage(ctx, services().now());
    const d = await services().reviews.definition(ctx, id);
    return { description: `Change access review '${d.displayName}'` };
  },
  apply: (ctx, { id, body }) => services().reviews.updateDefinition(ctx, id, body),
  showResult: toGraphDefinition,
});
registerAdminChangeKind<{ id: string }, { deleted: string }>({
  kind: DELETE_KIND,
  async propose(ctx, { id }) {
    await services().access.requireManage(ctx, services().now());
    const d = await services().reviews.definition(ctx, id);
    return { description: `Delete access review '${d.displayName}'` };
  },
  async apply(ctx, { id }, replay) {
    try {
      await services().reviews.deleteDefinition(ctx, id);
    } catch (err) {
      // A replay after a crash may find it deleted by its first attempt.
      if (!(replay?.resumed && err instanceof Error && err.name === 'NotFoundError')) throw err;
    }
    return { deleted: id };
  },
});

route(
  'accessReviewDefinitions',
  BASE,
  {
    GET: async (s, ctx) =>
      json(200, { value: (await s.reviews.listDefinitions(ctx)).map(toGraphDefinition) }),
    POST: async (s, ctx, req) => {
      const body = await readRawBody(req);
      const out = await s.adminChanges.submit<unknown, ReviewDefinition>(
        ctx,
        CREATE_KIND,
        body,
        breakGlassOf(req),
      );
      return 'proposal' in out
        ? proposalAccepted(req, out.proposal)
        : json(201, toGraphDefinition(out.applied));
    },
  },
  [
    {
      method: 'get',
      summary: 'Access review definitions (admins and readers)',
      responses: {
        200: graph('accessReviewScheduleDefinition', 'The definitions', true),
        403: 'Not a reader',
      },
    },
    {
      method: 'post',
      summary: 'Create an access review of a role’s or PIM group’s assignments (admins)',
      requestBody: ReviewDefinitionInput,
      responses: {
        201: graph('accessReviewScheduleDefinition', 'The definition; its first instance is scheduled'),
        ...ACCEPTED_RESPONSE,
        400: 'Bad scope, reviewers or settings',
        403: 'Not an admin',
      },
    },
  ],
);

route(
  'accessReviewDefinitionsForReviewer',
  `${BASE}/${REVIEWER}`,
  {
    GET: async (s, ctx) =>
      json(200, { value: (await s.reviews.definitionsForReviewer(ctx)).map(toGraphDefinition) }),
  },
  [
    {
      method: 'get',
      summary: 'Definitions with an instance the caller reviews in',
      responses: { 200: graph('accessReviewScheduleDefinition', 'The definitions', true) },
    },
  ],
);

route(
  'accessReviewDefinition',
  DEF,
  {
    GET: async (s, ctx, req) =>
      json(200, toGraphDefinition(await s.reviews.definition(ctx, p(req).definitionId))),
    PUT: (s, ctx, req) => update(s, ctx, req),
    PATCH: (s, ctx, req) => update(s, ctx, req),
    DELETE: async (s, ctx, req) => {
      const out = await s.adminChanges.submit(
        ctx,
        DELETE_KIND,
        { id: p(req).definitionId },
        breakGlassOf(req),
      );
      return 'proposal' in out ? proposalAccepted(req, out.proposal) : noContent();
    },
  },
  [
    {
      method: 'get',
      summary: 'An access review definition (admins, readers, its reviewers)',
      responses: { 200: graph('accessReviewScheduleDefinition', 'The definition'), 404: 'Not visible' },
    },
    ...(['put', 'patch'] as const).map((method) => ({
      method,
      summary: 'Update a definition: names, reviewers, settings (admins; the scope cannot change)',
      requestBody: ReviewDefinitionInput.partial(),
      responses: {
        200: graph('accessReviewScheduleDefinition', 'The definition'),
        ...ACCEPTED_RESPONSE,
        400: 'Bad input, or a changed scope',
        403: 'Not an admin',
        404: 'No such definition',
      },
    })),
    {
      method: 'delete',
      summary: 'Delete a definition and its instances (a running instance ends, nothing applied)',
      responses: { 204: 'Deleted', ...ACCEPTED_RESPONSE, 403: 'Not an admin', 404: 'No such definition' },
    },
  ],
);

route(
  'accessReviewInstances',
  `${DEF}/instances`,
  {
    GET: async (s, ctx, req) => {
      const { definition, instances } = await s.reviews.instances(ctx, p(req).definitionId);
      return json(200, { value: instances.map((i) => toGraphInstance(i, definition)) });
    },
  },
  [
    {
      method: 'get',
      summary: 'Instances of a definition (admins and readers: all; reviewers: theirs)',
      responses: { 200: graph('accessReviewInstance', 'The instances', true), 404: 'Not visible' },
    },
  ],
);

route(
  'accessReviewInstancesForReviewer',
  `${DEF}/instances/${REVIEWER}`,
  {
    GET: async (s, ctx, req) => {
      const { definition, instances } = await s.reviews.instancesForReviewer(ctx, p(req).definitionId);
      return json(200, { value: instances.map((i) => toGraphInstance(i, definition)) });
    },
  },
  [
    {
      method: 'get',
      summary: 'Instances the caller reviews in',
      responses: { 200: graph('accessReviewInstance', 'The instances', true), 404: 'No such definition' },
    },
  ],
);

route(
  'accessReviewInstance',
  INST,
  {
    GET: async (s, ctx, req) => {
      const { definition, instance } = await s.reviews.instance(ctx, p(req).definitionId, p(req).instanceId);
      return json(200, toGraphInstance(instance, definition));
    },
  },
  [
    {
      method: 'get',
      summary: 'An instance (admins, readers, its reviewers)',
      responses: { 200: graph('accessReviewInstance', 'The instance'), 404: 'Not visible' },
    },
  ],
);

/** POST actions on an instance, each answering 204. */
function action(
  name: string,
  verb: string,
  summary: string,
  run: (s: Services, ctx: OperationContext, req: HttpRequest) => Promise<unknown>,
  extra: Record<number, string>,
  requestBody?: z.ZodType,
) {
  route(
    name,
    `${INST}/${verb}`,
    {
      POST: async (s, ctx, req) => {
        await run(s, ctx, req);
        return noContent();
      },
    },
    [
      {
        method: 'post',
        summary,
        ...(requestBody ? { requestBody } : {}),
        responses: { 204: 'Done', 404: 'No such instance', ...extra },
      },
    ],
  );
}

action(
  'accessReviewStop',
  'stop',
  'Stop a running instance now (admins); its end steps follow',
  (s, ctx, req) => s.reviews.stop(ctx, p(req).definitionId, p(req).instanceId),
  { 403: 'Not an admin', 409: 'Not running' },
);
action(
  'accessReviewApply',
  'applyDecisions',
  'Apply an ended instance’s decisions: remove what was denied (admins)',
  (s, ctx, req) => s.reviews.applyDecisions(ctx, p(req).definitionId, p(req).instanceId),
  { 403: 'Not an admin', 409: 'Not ended, or applied already' },
);
action(
  'accessReviewBatchRecord',
  'batchRecordDecisions',
  'Record one decision for all of the caller’s items (optionally of one principal or resource)',
  async (s, ctx, req) =>
    s.reviews.batchRecord(ctx, p(req).definitionId, p(req).instanceId, await readRawBody(req)),
  { 400: 'Bad decision, or a justification is required', 409: 'The instance is not running' },
  BatchBody,
);
action(
  'accessReviewReset',
  'resetDecisions',
  'Reset decisions to NotReviewed (admins: all; reviewers: their own)',
  (s, ctx, req) => s.reviews.resetDecisions(ctx, p(req).definitionId, p(req).instanceId),
  { 403: 'Neither an admin nor a reviewer', 409: 'The instance is not running' },
);

route(
  'accessReviewDecisions',
  `${INST}/decisions`,
  {
    GET: async (s, ctx, req) =>
      json(200, {
        value: (await s.reviews.decisions(ctx, p(req).definitionId, p(req).instanceId)).map(toGraphDecision),
      }),
  },
  [
    {
      method: 'get',
      summary: 'Every decision item of an instance (admins)',
      responses: {
        200: graph('accessReviewInstanceDecisionItem', 'The items', true),
        403: 'Not an admin (reviewers: filterByCurrentUser)',
        404: 'No such instance',
      },
    },
  ],
);

route(
  'accessReviewDecisionsForReviewer',
  `${INST}/decisions/${REVIEWER}`,
  {
    GET: async (s, ctx, req) =>
      json(200, {
        value: (await s.reviews.decisionsForReviewer(ctx, p(req).definitionId, p(req).instanceId)).map(
          toGraphDecision,
        ),
      }),
  },
  [
    {
      method: 'get',
      summary: 'The decision items the caller is asked to decide',
      responses: {
        200: graph('accessReviewInstanceDecisionItem', 'The items', true),
        404: 'No such instance',
      },
    },
  ],
);

route(
  'accessReviewDecision',
  `${INST}/decisions/{decisionId}`,
  {
    GET: async (s, ctx, req) =>
      json(
        200,
        toGraphDecision(
          await s.reviews.decision(ctx, p(req).definitionId, p(req).instanceId, p(req).decisionId),
        ),
      ),
    PATCH: async (s, ctx, req) => {
      const { definitionId, instanceId, decisionId } = p(req);
      await s.reviews.recordDecision(ctx, definitionId, instanceId, decisionId, await readRawBody(req));
      return noContent();
    },
  },
  [
    {
      method: 'get',
      summary: 'A decision item (its reviewers and admins)',
      responses: { 200: graph('accessReviewInstanceDecisionItem', 'The item'), 404: 'Not visible' },
    },
    {
      method: 'patch',
      summary: 'Decide: Approve, Deny or DontKnow, with a justification',
      requestBody: DecisionBody,
      responses: {
        204: 'Recorded',
        400: 'Bad decision, or a justification is required',
        403: 'Not a reviewer of this item (or the item is the caller’s own)',
        404: 'No such item',
        409: 'The instance has ended or not started',
      },
    },
  ],
);
