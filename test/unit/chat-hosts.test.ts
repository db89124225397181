// Approval actions (every waiting approver's decision token) go only to the chat services' own hosts,
// so that an admin cannot point a subscription at an endpoint of their own and decide as each approver.
import { afterEach, describe, expect, it } from 'vitest';
import { resetSettings } from '../../shared/config';
import { chatHostProblem } from '../../shared/notify/urls';

describe('chat hosts for approval actions', () => {
  afterEach(() => {
    delete process.env.WEBHOOK_ALLOW_HTTP;
    resetSettings();
  });

  it("accepts Teams' and Slack's own webhook hosts", () => {
    expect(chatHostProblem('teams', 'https://contoso.webhook.office.com/webhookb2/abc')).toBeUndefined();
    expect(
      chatHostProblem('teams', 'https://prod-12.westeurope.logic.azure.com/workflows/x'),
    ).toBeUndefined();
    expect(chatHostProblem('slack', 'https://hooks.slack.com/services/T/B/X')).toBeUndefined();
  });

  it('refuses any other host, including look-alikes', () => {
    expect(chatHostProblem('teams', 'https://attacker.example/hook')).toMatch(/Teams/);
    expect(chatHostProblem('teams', 'https://webhook.office.com.attacker.example/')).toMatch(/Teams/);
    expect(chatHostProblem('slack', 'https://hooks.slack.com.attacker.example/')).toMatch(
      /hooks\.slack\.com/,
    );
  });

  it('allows any host where local targets are allowed (tests, development)', () => {
    process.env.WEBHOOK_ALLOW_HTTP = 'true';
    resetSettings();
    expect(chatHostProblem('slack', 'http://127.0.0.1:8080/slack')).toBeUndefined();
  });
});
