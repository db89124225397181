// Approve and Deny from chat (issue 19, items 2 and 4): a local listener plays Teams and Slack. It
// receives the approver notices of subscriptions with approvalActions, presses their buttons by
// posting back what Teams (Action.Http) and Slack (a signed block_actions form) post, and reads the
// redrawn card: Teams' in the answer (CARD-UPDATE-IN-BODY), Slack's at the press's response_url.
// A 2-of-2 stage then a 1-of-1 stage: Adele approves in Teams, Isaiah in Slack, Megan denies in Teams.
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { eventually, readJson } from '../helpers/devhost';
import { type HttpTarget, type ReceivedRequest, startHttpTarget } from '../helpers/http-target';
import { ROLE_IDS } from '../helpers/seeds';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';

const V1 = '/api/v1.0';
const ROLE_REQUESTS = `${V1}/roleManagement/directory/roleAssignmentScheduleRequests`;
const RULE = `${V1}/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.securityReader}/rules/Approval_EndUser_Assignment`;
const SLACK_SECRET = 'slack-signing-secret-0123456789';
const id = (u: DemoUserKey) => DEMO_USERS[u].id;
const user = (u: DemoUserKey) => ({ '@odata.type': '#microsoft.graph.singleUser', userId: id(u) });

interface TeamsAction {
  type: string;
  title: string;
  method: string;
  url: string;
  body: string;
  headers: { name: string; value: string }[];
}
interface SlackButton {
  action_id: string;
  value: string;
  text: { text: string };
}

describe('approve from chat', () => {
  let seeds: SeedsHost;
  let chat: HttpTarget;
  let slackId: string;

  beforeAll(async () => {
    process.env.AzureWebJobsStorage = inject('storageConnectionString');
    chat = await startHttpTarget();
    seeds = await startSeedsHost('Chat', {
      APPROVAL_LINK_KEY: randomBytes(32).toString('base64'),
      NOTIFY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      WEBHOOK_ALLOW_HTTP: 'true',
    });
  });
  afterAll(async () => {
    await seeds?.stop();
    await chat?.stop();
  });

  const call = (u: DemoUserKey, method: string, url: string, body?: unknown) =>
    seeds.call(u, method, url, body);

  /** Teams posts to the action's URL; the host's own origin stands in for PUBLIC_BASE_URL. */
  async function pressTeams(action: TeamsAction, justification = '') {
    const url = new URL(action.url);
    const res = await fetch(`${seeds.host.baseUrl}${url.pathname}`, {
      method: action.method,
      headers: Object.fromEntries(action.headers.map((h) => [h.name, h.value])),
      body: action.body.replace('{{justification.value}}', justification),
    });
    return { status: res.status, headers: res.headers, body: await readJson(res) };
  }

  /** Slack posts the press as a form, signed with the app's signing secret at (its) now. */
  async function pressSlack(button: SlackButton, presser: string, sign = SLACK_SECRET) {
    const { now } = await readJson(await fetch(`${seeds.host.baseUrl}/admin/devhost/clock`));
    const timestamp = String(Math.floor(Date.parse(now) / 1000));
    const payload = {
      type: 'block_actions',
      user: { id: presser, username: presser.toLowerCase() },
      response_url: `${chat.url}/slack-response`,
      actions: [{ action_id: button.action_id, value: button.value, type: 'button' }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const signature = `v0=${createHmac('sha256', sign).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const send = () =>
      fetch(`${seeds.host.baseUrl}${V1}/approvals/chat/slack/${slackId}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': timestamp,
          'x-slack-signature': signature,
        },
        body,
      });
    return { send };
  }

  const teamsActions = (r: ReceivedRequest): TeamsAction[] => r.json.attachments[0].content.actions;
  const slackButtons = (message: { blocks: { type: string; elements?: SlackButton[] }[] }): SlackButton[] =>
    message.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
  const cardText = (card: { body: { text?: string }[] }) => card.body.map((b) => b.text ?? '').join('\n');

  const statusOf = (requestId: string, wanted: string) =>
    eventually(async () => {
      const r = await readJson(await call('alex', 'GET', `${ROLE_REQUESTS}/${requestId}`));
      return r.status === wanted ? r : undefined;
    });

  it('decides in Teams and Slack, redraws the card, and refuses reuse, forgery and replay', async () => {
    // Actions are for the chat formats only, and only when asked for.
    const json = await call('megan', 'POST', `${V1}/notificationSubscriptions`, {
      url: `${chat.url}/json`,
      events: ['activationRequested'],
      secret: SLACK_SECRET,
      approvalActions: true,
    });
    expect(json.status).toBe(400);
    const teams = await call('megan', 'POST', `${V1}/notificationSubscriptions`, {
      url: `${chat.url}/teams`,
      events: ['activationRequested'],
      secret: 'teams-subscription-secret-01',
      format: 'teams',
      approvalActions: true,
    });
    expect(teams.status).toBe(201);
    expect((await readJson(teams)).approvalActions).toBe(true);
    const slack = await call('megan', 'POST', `${V1}/notificationSubscriptions`, {
      url: `${chat.url}/slack`,
      events: ['activationRequested'],
      secret: SLACK_SECRET,
      format: 'slack',
      approvalActions: true,
    });
    expect(slack.status).toBe(201);
    slackId = (await readJson(slack)).id;

    const rule = await readJson(await call('megan', 'GET', RULE));
    const stage = {
      approvalStageTimeOutInDays: 1,
      isApproverJustificationRequired: false,
      escalationTimeInMinutes: 0,
      isEscalationEnabled: false,
      escalationApprovers: [],
    };
    const set = await call('megan', 'PATCH', RULE, {
      ...rule,
      setting: {
        ...rule.setting,
        isApprovalRequired: true,
        approvalStages: [
          { ...stage, primaryApprovers: [user('adele'), user('reader')], approverCountRequired: 2 },
          { ...stage, primaryApprovers: [user('megan')], isApproverJustificationRequired: true },
        ],
      },
    });
    expect(set.status).toBe(200);

    const created = await call('alex', 'POST', ROLE_REQUESTS, {
      action: 'selfActivate',
      principalId: id('alex'),
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
      justification: 'Chat approval',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
    });
    expect(created.status).toBe(201);
    const requestId = (await readJson(created)).id;

    // Teams gets an Adaptive Card with Approve and Deny for each approver; the requester has none.
    const teamsCard = await chat.waitFor(
      (r) => r.path === '/teams' && JSON.stringify(r.json).includes(requestId),
    );
    expect(teamsCard.json.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    const titles = teamsActions(teamsCard).map((a) => a.title);
    expect(titles.sort()).toEqual(
      [
        'Approve as Adele Vance',
        'Approve as Isaiah Langer',
        'Deny as Adele Vance',
        'Deny as Isaiah Langer',
      ].sort(),
    );
    expect(teamsActions(teamsCard).every((a) => a.type === 'Action.Http')).toBe(true);

    // Adele approves in Teams: the answer is the redrawn card, still asking Isaiah.
    const adeleApproves = teamsActions(teamsCard).find((a) => a.title === 'Approve as Adele Vance')!;
    const pressed = await pressTeams(adeleApproves, 'Seen the incident');
    expect(pressed.status).toBe(200);
    expect(pressed.headers.get('card-update-in-body')).toBe('true');
    expect(cardText(pressed.body)).toContain('1 of 2 approvals');
    expect(cardText(pressed.body)).toContain('approved by Adele Vance');
    expect(pressed.body.actions.map((a: TeamsAction) => a.title).sort()).toEqual([
      'Approve as Isaiah Langer',
      'Deny as Isaiah Langer',
    ]);
    // A press works once; a forged token is refused.
    expect((await pressTeams(adeleApproves)).status).toBe(409);
    const forged = { ...adeleApproves, url: `${adeleApproves.url.slice(0, -4)}AAAA` };
    expect((await pressTeams(forged)).status).toBe(401);

    // Isaiah presses Approve in Slack; a wrong signature and a replay are refused.
    const slackMessage = await chat.waitFor(
      (r) => r.path === '/slack' && JSON.stringify(r.json).includes(requestId),
    );
    const isaiahApproves = slackButtons(slackMessage.json).find(
      (b) => b.text.text === 'Approve as Isaiah Langer',
    )!;
    expect((await (await pressSlack(isaiahApproves, 'U0ISAIAH', 'not-the-secret')).send()).status).toBe(401);
    const press = await pressSlack(isaiahApproves, 'U0ISAIAH');
    expect((await press.send()).status).toBe(200);
    expect((await press.send()).status).toBe(409);
    const redrawn = await chat.waitFor(
      (r) => r.path === '/slack-response' && r.json?.replace_original === true,
    );
    expect(redrawn.json.text).toContain('Alex Wilber requests Security Reader');
    expect(JSON.stringify(redrawn.json.blocks)).toContain('approved by Isaiah Langer');
    // Stage 1 is done: its buttons are gone; stage 2 asks Megan.
    expect(slackButtons(redrawn.json).map((b) => b.text.text)).toEqual([
      'Approve as Megan Bowen',
      'Deny as Megan Bowen',
    ]);

    // Stage 2 reaches Teams as a card of its own; Megan denies there, with the justification it needs.
    const stageTwo = await chat.waitFor(
      (r) =>
        r.path === '/teams' &&
        JSON.stringify(r.json).includes(requestId) &&
        teamsActions(r).some((a) => a.title === 'Deny as Megan Bowen'),
    );
    const meganDenies = teamsActions(stageTwo).find((a) => a.title === 'Deny as Megan Bowen')!;
    const noReason = await pressTeams(meganDenies);
    expect(noReason.status).toBe(400);
    const denied = await pressTeams(meganDenies, 'Not during the freeze');
    expect(denied.status).toBe(200);
    expect(cardText(denied.body)).toContain('Outcome: Denied');
    expect(denied.body.actions).toEqual([]);
    await statusOf(requestId, 'Denied');

    // The audit row names the approver and the chat it came from.
    const filter = encodeURIComponent(`correlationId eq '${requestId}'`);
    const rows = await eventually(async () => {
      const list = (
        await readJson(await call('megan', 'GET', `${V1}/auditLogs/directoryAudits?$filter=${filter}`))
      ).value as {
        initiatedBy: { user: { id: string } };
        additionalDetails: { key: string; value: string }[];
      }[];
      const decisions = list.filter((r) => r.additionalDetails.some((d) => d.key === 'DecisionChannel'));
      return decisions.length >= 3 ? list : undefined;
    });
    const channels = rows.flatMap((r) =>
      r.additionalDetails.filter((d) => d.key === 'DecisionChannel').map((d) => d.value),
    );
    expect(channels.sort()).toEqual(['chat:slack:U0ISAIAH', 'chat:teams', 'chat:teams']);
    expect(rows.some((r) => r.initiatedBy.user?.id === id('reader'))).toBe(true);
  });
});
