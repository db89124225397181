// The `jit` command line end to end: the compiled CLI (dist/cli/jit.js) run as a child process
// against a devhost with the demo data and the dev issuer, each person with their own session
// directory. Exit codes, stdout (JSON with --json) and the messages on stderr are what is checked.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { eventually, readJson, repoRoot } from '../helpers/devhost';
import { ACTIONS, ROLE_IDS } from '../helpers/seeds';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';

const JIT = path.join(repoRoot, 'dist', 'cli', 'jit.js');
const POLICY = `/api/v1.0/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.securityReader}`;

/** The device code test makes its stand-in's certificate with openssl; without it, that test is skipped. */
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('jit, the command line', () => {
  let seeds: SeedsHost;
  const configRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-cli-test-'));
  const sessionDir = (who: string) => path.join(configRoot, who);

  beforeAll(async () => {
    seeds = await startSeedsHost('Cli');
  });
  afterAll(async () => {
    await seeds?.stop();
    fs.rmSync(configRoot, { recursive: true, force: true });
  });

  /** Runs `jit args...` as `who` (their own session directory), never through a shell; a last object adds environment. */
  function jit(who: string, ...rest: (string | Record<string, string>)[]): Promise<Run> {
    const extra = typeof rest.at(-1) === 'object' ? (rest.pop() as Record<string, string>) : {};
    const args = rest as string[];
    // The developer's own JIT_* settings must not change what the test sees.
    const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('JIT_'));
    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(inherited),
      JIT_URL: seeds.host.baseUrl,
      JIT_CONFIG_DIR: sessionDir(who),
      ...extra,
    };
    return new Promise((resolve) => {
      execFile(process.execPath, [JIT, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** `jit ... --json`, expecting `code`; its stdout parsed. */
  async function jitJson(who: string, code: number, ...args: string[]) {
    const run = await jit(who, ...args, '--json');
    expect(run.code, run.stderr).toBe(code);
    return JSON.parse(run.stdout);
  }

  it('says "run jit login" with exit code 3 when nobody is signed in', async () => {
    const run = await jit('alex', 'roles');
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('jit login');
    expect(run.stdout).toBe('');
    const json = await jitJson('alex', 3, 'whoami');
    expect(json.error.message).toContain('jit login');
  });

  it('lists the exit codes in --help and gives exit code 2 for usage errors', async () => {
    const help = await jit('alex', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toMatch(/6\s+the request waits for an approver/);
    expect((await jit('alex', 'check', '--help')).stdout).toMatch(/8\s+jit check: access denied/);
    expect((await jit('alex', 'activate')).code).toBe(2);
    expect((await jit('alex', 'no-such-command')).code).toBe(2);
    const badDuration = await jit('alex', 'activate', 'Security Reader', '--for', 'soon');
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('1h30m');
  });

  it('says what to do when the service cannot be reached (exit 1) or has no dev issuer (exit 2)', async () => {
    // A port nobody listens on: the one a closed server just had.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await jit('alex', 'login', '--as', 'alex', '--url', `http://127.0.0.1:${port}`);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('Cannot reach the service');

    // A service whose dev issuer is off answers 404: sign-in is then Entra ID's, which needs a tenant.
    const production = http.createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'NotFound', message: 'The dev issuer is not enabled.' } }));
    });
    await new Promise<void>((resolve) => production.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(production.address() as AddressInfo).port}`;
      const run = await jit('alex', 'login', '--as', 'alex', '--url', url);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--tenant');
      expect(run.stderr).toContain('JIT_CLIENT_ID');
    } finally {
      await new Promise((resolve) => production.close(resolve));
    }
    expect(fs.existsSync(path.join(sessionDir('alex'), 'session.json'))).toBe(false);
  });

  it('signs in as a demo user through the dev issuer and keeps the session private', async () => {
    const run = await jit('alex', 'login', '--as', 'alex', '--mfa');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Alex Wilber');
    const file = path.join(sessionDir('alex'), 'session.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(sessionDir('alex')).mode & 0o777).toBe(0o700);
    const who = await jitJson('alex', 0, 'whoami');
    expect(who).toMatchObject({
      url: seeds.host.baseUrl,
      mode: 'dev',
      mfa: true,
      user: { id: DEMO_USERS.alex.id, displayName: 'Alex Wilber' },
    });
    expect(who.accessToken).toBeUndefined();
    // --json may come before the command as well.
    const before = await jit('alex', '--json', 'whoami');
    expect(JSON.parse(before.stdout).user.displayName).toBe('Alex Wilber');
    // A token the service refuses is "not signed in" too.
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.mkdirSync(sessionDir('forged'));
    fs.writeFileSync(
      path.join(sessionDir('forged'), 'session.json'),
      JSON.stringify({ ...saved, accessToken: 'x.y.z' }),
    );
    const refused = await jit('forged', 'roles');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('jit login');
    // Without --as and without a terminal it asks for one instead of waiting for an answer.
    const unattended = await jit('nobody', 'login');
    expect(unattended.code).toBe(2);
    expect(unattended.stderr).toContain('--as');
    expect((await jit('nobody', 'login', '--as', 'alex', '--minutes', '0')).code).toBe(2);
  });

  it.skipIf(!hasOpenssl)(
    "signs in with Entra ID's device code flow when a tenant is given (a local stand-in for Entra ID)",
    async () => {
      // MSAL talks to an https authority only: a self-signed certificate the CLI is told to trust.
      const tls = path.join(configRoot, 'tls');
      fs.mkdirSync(tls);
      const [key, cert] = [path.join(tls, 'key.pem'), path.join(tls, 'cert.pem')];
      execFileSync(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
          ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
        ],
        { stdio: 'ignore' },
      );
      const asked: string[] = [];
      const entra = https.createServer(
        { key: fs.readFileSync(key), cert: fs.readFileSync(cert) },
        (req, res) => {
          const base = `https://127.0.0.1:${(entra.address() as AddressInfo).port}/tenant-1`;
          const send = (body: unknown) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(body));
          };
          const part = (claims: unknown) => Buffer.from(JSON.stringify(claims)).toString('base64url');
          const now = Math.floor(Date.now() / 1000);
          const who = {
            oid: DEMO_USERS.adele.id,
            tid: 'tenant-1',
            name: 'Adele Vance',
            preferred_username: 'adelev@contoso.example',
          };
          asked.push(new URL(req.url ?? '/', 'https://x').pathname);
          req.resume();
          req.on('end', () => {
            if (req.url?.includes('openid-configuration')) {
              send({
                issuer: `${base}/v2.0`,
                authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
                token_endpoint: `${base}/oauth2/v2.0/token`,
                device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
                end_session_endpoint: `${base}/oauth2/v2.0/logout`,
                jwks_uri: `${base}/discovery/v2.0/keys`,
              });
            } else if (req.url?.includes('/devicecode')) {
              send({
                device_code: 'device-1',
                user_code: 'JIT-CODE-1',
                verification_uri: 'https://microsoft.com/devicelogin',
                expires_in: 900,
                interval: 1,
                message: 'Open https://microsoft.com/devicelogin and enter JIT-CODE-1.',
              });
            } else {
              send({
                token_type: 'Bearer',
                scope: 'api://jit-access/.default',
                expires_in: 3600,
                access_token: `${part({ alg: 'RS256' })}.${part({ ...who, amr: ['pwd', 'mfa'], exp: now + 3600 })}.sig`,
                id_token: `${part({ alg: 'none' })}.${part({ ...who, sub: 's', iss: `${base}/v2.0`, aud: 'cli-app', iat: now, nbf: now, exp: now + 3600 })}.`,
                client_info: part({ uid: DEMO_USERS.adele.id, utid: 'tenant-1' }),
              });
            }
          });
        },
      );
      await new Promise<void>((resolve) => entra.listen(0, '127.0.0.1', resolve));
      try {
        const authority = `https://127.0.0.1:${(entra.address() as AddressInfo).port}`;
        const run = await jit(
          'entra',
          'login',
          '--tenant',
          'tenant-1',
          '--client-id',
          'cli-app',
          '--authority-host',
          authority,
          {
            NODE_EXTRA_CA_CERTS: cert,
          },
        );
        expect(run.code, run.stderr).toBe(0);
        expect(run.stderr).toContain('enter JIT-CODE-1');
        expect(asked).toEqual(
          expect.arrayContaining(['/tenant-1/oauth2/v2.0/devicecode', '/tenant-1/oauth2/v2.0/token']),
        );
        const who = await jitJson('entra', 0, 'whoami');
        expect(who).toMatchObject({
          mode: 'deviceCode',
          mfa: true,
          user: { id: DEMO_USERS.adele.id, displayName: 'Adele Vance' },
        });
        // The devhost trusts only its dev issuer: the stand-in's token is refused, and jit says to sign in.
        const refused = await jit('entra', 'roles');
        expect(refused.code).toBe(3);
        expect(refused.stderr).toContain('jit login');
      } finally {
        await new Promise((resolve) => entra.close(resolve));
      }
    },
  );

  it('activates Security Reader for 2 hours, checks access, deactivates, and is denied again', async () => {
    const eligible = await jitJson('alex', 0, 'roles');
    expect(eligible.value).toContainEqual(
      expect.objectContaining({ displayName: 'Security Reader', kind: 'role', state: 'eligible' }),
    );
    const human = await jit('alex', 'roles');
    expect(human.stdout).toMatch(/Security Reader\s+role\s+eligible/);

    const activated = await jitJson(
      'alex',
      0,
      'activate',
      'security reader',
      '--for',
      '2h',
      '--reason',
      'Investigate phishing INC-4711',
      '--ticket',
      'INC-4711',
      '--ticket-system',
      'ServiceNow',
    );
    expect(activated.target).toMatchObject({ kind: 'role', id: ROLE_IDS.securityReader });
    expect(activated.request).toMatchObject({
      status: 'Provisioned',
      justification: 'Investigate phishing INC-4711',
      ticketInfo: { ticketNumber: 'INC-4711', ticketSystem: 'ServiceNow' },
      scheduleInfo: { expiration: { duration: 'PT2H' } },
    });
    const active = (await jitJson('alex', 0, 'roles')).value.find(
      (r: { state: string; displayName: string }) =>
        r.state === 'active' && r.displayName === 'Security Reader',
    );
    expect(active.remainingMs).toBeGreaterThan(110 * 60_000);
    // The service's Date header has whole seconds: "now" may read up to a second early.
    expect(active.remainingMs).toBeLessThanOrEqual(120 * 60_000 + 1000);
    expect((await jit('alex', 'roles')).stdout).toMatch(
      /Security Reader\s+role\s+active \(activated\).*(1h 5\dm|2h 0m)/,
    );

    const extended = await jitJson(
      'alex',
      0,
      'extend',
      'Security Reader',
      '--for',
      '3h',
      '--reason',
      'Longer',
    );
    // A second activation of a live one: the window's end moves.
    expect(extended.request).toMatchObject({ action: 'selfActivate', status: 'Provisioned' });
    expect(Date.parse(extended.endDateTime) - Date.parse(extended.request.createdDateTime)).toBe(
      3 * 3_600_000,
    );

    const allowed = await jit('alex', 'check', ACTIONS.readSecurity);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('allowed');
    expect((await jitJson('alex', 0, 'check', ACTIONS.readSecurity, '--scope', '/')).allowed).toBe(true);
    expect((await jit('alex', 'check', ACTIONS.purgeEmail)).code).toBe(8);

    const off = await jit('alex', 'deactivate', 'Security Reader');
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain('deactivated');
    const denied = await jit('alex', 'check', ACTIONS.readSecurity);
    expect(denied.code).toBe(8);
    expect(denied.stdout).toContain('denied');
    const checked = await jitJson('alex', 8, 'check', ACTIONS.readSecurity);
    expect(checked.allowed).toBe(false);

    const mine = await jitJson('alex', 0, 'requests');
    expect(mine.value.map((r: { action: string }) => r.action)).toEqual([
      'selfDeactivate',
      'selfActivate',
      'selfActivate',
    ]);
    expect(mine.value[0].status).toBe('Revoked');
  });

  it("passes on the policy's refusal with exit code 5 and the message naming the maximum", async () => {
    const run = await jit('alex', 'activate', 'Security Reader', '--for', '10h', '--reason', 'too long');
    expect(run.code).toBe(5);
    expect(run.stderr).toContain('ExpirationRule');
    expect(run.stderr).toContain('PT8H');
    const json = await jitJson('alex', 5, 'activate', 'Security Reader', '--for', 'PT9H');
    expect(json.error).toMatchObject({ code: 'RoleAssignmentRequestPolicyValidationFailed', exitCode: 5 });
    // Alex may become a member of the PIM group, not an owner.
    const owner = await jit(
      'alex',
      'activate',
      'Search and Purge PIM',
      '--access',
      'owner',
      '--reason',
      'r',
      '--ticket',
      'T',
    );
    expect(owner.code).toBe(5);
    expect(owner.stderr).toContain('no eligible assignment');
  });

  it('lists the candidates of an unknown (exit 4) or ambiguous (exit 2) name', async () => {
    const unknown = await jit('alex', 'activate', 'Domain Emperor', '--for', '1h');
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('Security Reader (role)');
    expect(unknown.stderr).toContain('Search and Purge PIM (PIM group)');
    const ambiguous = await jit('alex', 'activate', 'purge', '--for', '1h');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('Search and Purge (role)');
    expect(ambiguous.stderr).toContain('Search and Purge PIM (PIM group)');
  });

  it('waits for approval with exit code 6; the approver lists it, approves it, and it is provisioned', async () => {
    // Megan (admin) turns on approval by Adele for Security Reader, through the API.
    const policy = await readJson(await seeds.call('megan', 'GET', POLICY));
    const rule = policy.rules.find((r: { id: string }) => r.id === 'Approval_EndUser_Assignment');
    const switched = await seeds.call('megan', 'PATCH', `${POLICY}/rules/Approval_EndUser_Assignment`, {
      ...rule,
      setting: {
        ...rule.setting,
        isApprovalRequired: true,
        approvalStages: [
          {
            ...rule.setting.approvalStages[0],
            primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEMO_USERS.adele.id }],
          },
        ],
      },
    });
    expect(switched.status).toBe(200);

    const waiting = await jit(
      'alex',
      'activate',
      'Security Reader',
      '--for',
      '1h',
      '--reason',
      'Need it',
      '--json',
    );
    expect(waiting.code, waiting.stderr).toBe(6);
    expect(waiting.stderr).toContain('Adele Vance');
    const pending = JSON.parse(waiting.stdout);
    expect(pending.request.status).toBe('PendingApproval');
    expect(pending.approvers).toEqual(['Adele Vance']);
    const id: string = pending.request.id;

    expect((await jit('adele', 'login', '--as', 'adele', '--mfa')).code).toBe(0);
    // The approver's inbox is written a moment after the request's answer.
    await eventually(async () => {
      const inbox = await jitJson('adele', 0, 'approvals');
      return inbox.value.some((a: { id: string }) => a.id === id) ? true : undefined;
    });
    const listed = (await jit('adele', 'approvals')).stdout;
    expect(listed).toContain(id);
    // She sees who asks for what: the person and the role, from the requests waiting for her.
    expect(listed).toContain('Alex Wilber');
    expect(listed).toContain('Security Reader');
    const own = await jit('alex', 'approve', id, '--reason', 'my own');
    expect(own.code).toBe(4);
    const approved = await jit('adele', 'approve', id, '--reason', 'Known incident INC-4711');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain('Approved');
    expect((await jit('adele', 'deny', id, '--reason', 'too late')).code).toBe(5);

    const provisioned = await eventually(async () => {
      const mine = await jitJson('alex', 0, 'requests');
      return mine.value.find(
        (r: { id: string; status: string }) => r.id === id && r.status === 'Provisioned',
      );
    });
    expect(provisioned.targetDisplayName).toBe('Security Reader');
    expect((await jit('alex', 'check', ACTIONS.readSecurity)).code).toBe(0);
  });

  it('with --wait keeps polling through approval until the decision: a denial ends with exit code 5', async () => {
    expect((await jit('alex', 'deactivate', 'Security Reader')).code).toBe(0);
    const waiting = jit(
      'alex',
      'activate',
      'Security Reader',
      '--for',
      '1h',
      '--reason',
      'Again',
      '--wait',
      '--timeout',
      '30s',
      '--json',
    );
    const approval = await eventually(async () => {
      const inbox = await jitJson('adele', 0, 'approvals');
      return inbox.value[0];
    }, 20_000);
    const denied = await jit('adele', 'deny', approval.id, '--reason', 'Not this time');
    expect(denied.code, denied.stderr).toBe(0);
    const run = await waiting;
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toContain('waiting for approval');
    expect(run.stderr).toContain('Denied');
    expect(JSON.parse(run.stdout).request).toMatchObject({ id: approval.id, status: 'Denied' });
  });

  it('with --no-wait prints the first answer; jit cancel withdraws a waiting request', async () => {
    const first = await jitJson(
      'alex',
      6,
      'activate',
      'Security Reader',
      '--for',
      '1h',
      '--reason',
      'Later',
      '--no-wait',
    );
    expect(first.request.status).toBe('PendingApproval');
    const canceled = await jitJson('alex', 0, 'cancel', first.request.id);
    expect(canceled.request).toMatchObject({ id: first.request.id, status: 'Canceled' });
    expect((await jit('alex', 'cancel', 'no-such-request')).code).toBe(4);
  });

  it('waits for MFA with exit code 7, then verifies a TOTP code (jit verify, or --otp on activate)', async () => {
    // Alex enrols an authenticator app (this needs a fresh MFA sign-in), then signs in without MFA.
    const enrolled = await readJson(await seeds.call('alex', 'POST', '/api/v1.0/me/authenticators/totp'));
    const totp = new OTPAuth.TOTP({
      secret: OTPAuth.Secret.fromBase32(enrolled.secret),
      digits: 6,
      period: 30,
    });
    // Codes for the host's (virtual) clock; a code is accepted once, so the clock moves on between codes.
    const hostCode = async () =>
      totp.generate({
        timestamp: Date.parse((await readJson(await fetch(`${seeds.host.baseUrl}/admin/devhost/clock`))).now),
      });
    const nextPeriod = () =>
      fetch(`${seeds.host.baseUrl}/admin/devhost/clock`, {
        method: 'POST',
        body: JSON.stringify({ advanceBy: 'PT1M' }),
      });
    const confirmed = await seeds.call('alex', 'POST', '/api/v1.0/me/authenticators/totp/confirm', {
      otp: await hostCode(),
    });
    expect(confirmed.status).toBe(204);
    await nextPeriod();
    expect((await jit('alex-no-mfa', 'login', '--as', 'alex')).code).toBe(0);

    // The PIM group's member policy wants MFA, a justification and a ticket.
    const group = [
      'activate',
      'Search and Purge PIM',
      '--for',
      '1h',
      '--reason',
      'Purge INC-4712',
      '--ticket',
      'INC-4712',
    ];
    const waiting = await jit('alex-no-mfa', ...group, '--json');
    expect(waiting.code, waiting.stderr).toBe(7);
    const pending = JSON.parse(waiting.stdout);
    expect(pending.target).toMatchObject({ kind: 'group', displayName: 'Search and Purge PIM' });
    expect(pending.request.status).toBe('PendingMfa');
    expect(waiting.stderr).toContain(`jit verify ${pending.request.id} --otp`);
    expect((await jit('alex-no-mfa', 'check', ACTIONS.purgeEmail)).code).toBe(8);

    const verified = await jit('alex-no-mfa', 'verify', pending.request.id, '--otp', await hostCode());
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain('Search and Purge PIM is active until');
    expect((await jit('alex-no-mfa', 'check', ACTIONS.purgeEmail)).code).toBe(0);
    expect((await jit('alex-no-mfa', 'deactivate', 'search and purge pim')).code).toBe(0);

    // The same in one go: --otp answers the MFA step as soon as the request asks for it.
    await nextPeriod();
    const direct = await jitJson('alex-no-mfa', 0, ...group, '--otp', await hostCode());
    expect(direct.request.status).toBe('Provisioned');
    expect((await jit('alex-no-mfa', 'check', ACTIONS.purgeEmail)).code).toBe(0);
    expect((await jit('alex-no-mfa', 'deactivate', 'Search and Purge PIM')).code).toBe(0);

    // Or sign in again with MFA and verify with the fresh sign-in instead of a code.
    const again = await jitJson('alex-no-mfa', 7, ...group);
    expect((await jit('alex-no-mfa', 'login', '--as', 'alex', '--mfa')).code).toBe(0);
    const fresh = await jitJson('alex-no-mfa', 0, 'verify', again.request.id);
    expect(fresh.request).toMatchObject({ id: again.request.id, status: 'Provisioned' });
  });

  it("lets admins and readers check someone else's access; others get exit code 4", async () => {
    expect((await jit('megan', 'login', '--as', 'megan')).code).toBe(0);
    const alex = DEMO_USERS.alex.id;
    const theirs = await jitJson('megan', 0, 'check', ACTIONS.purgeEmail, '--principal', alex);
    expect(theirs).toMatchObject({ allowed: true, principalId: alex });
    expect((await jit('megan', 'check', ACTIONS.purgeEmail)).code).toBe(8);
    expect((await jit('adele', 'check', ACTIONS.purgeEmail, '--principal', alex)).code).toBe(4);
  });

  it('prints the audit log as CSV with a header, and as JSON', async () => {
    const csv = await jit('megan', 'audit', '--since', '1d', '--csv');
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.split(/\r?\n/);
    expect(lines[0]).toMatch(/^id,activityDateTime,category,activityDisplayName/);
    expect(csv.stdout).toContain('PIM activation');
    const json = await jitJson('megan', 0, 'audit', '--since', '12h');
    expect(json.value.length).toBeGreaterThan(0);
    expect(json.value[0]).toHaveProperty('activityDisplayName');
    const future = await jitJson('megan', 0, 'audit', '--since', '2099-01-01');
    expect(future.value).toEqual([]);
    // A requester without a reader role may not read everyone's audit rows, but their own.
    expect((await jit('adele', 'audit', '--since', '1d')).code).toBe(4);
    const own = await jitJson('adele', 0, 'audit', '--since', '1d', '--mine');
    expect(own.value.length).toBeGreaterThan(0);
    expect(
      own.value.every(
        (r: { initiatedBy: { user: { id: string } } }) => r.initiatedBy.user.id === DEMO_USERS.adele.id,
      ),
    ).toBe(true);
  });

  it('forgets the session on logout', async () => {
    const out = await jitJson('megan', 0, 'logout');
    expect(out.signedOut).toBe(true);
    const after = await jit('megan', 'whoami');
    expect(after.code).toBe(3);
    expect(after.stderr).toContain('jit login');
  });
});
