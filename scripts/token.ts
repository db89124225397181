// `npm run token -- <user> [--mfa] [--minutes 60] [--at <ISO time>]`: prints a dev-issuer access
// token for a demo user (alex, adele, megan, reader, other) on stdout, nothing else, so that
// `TOKEN=$(npm run -s token -- alex --mfa)` works. Reads the same settings as the local host
// (local.settings.json Values unless the environment has them) and the same key dir.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyLocalSettings } from '../devhost/settings';
import { DEMO_USERS, isDemoUserKey } from '../shared/auth/demo-users';
import { mintDevToken } from '../shared/auth/dev-issuer';
import { authSettings } from '../shared/config';

const root = path.resolve(__dirname, '..', '..');

const USAGE = `usage: npm run token -- <user> [--mfa] [--minutes N] [--at <ISO time>]
  user       ${Object.values(DEMO_USERS)
    .map((u) => `${u.key} (${u.displayName}, ${u.jobTitle})`)
    .join('\n             ')}
  --mfa      the sign-in used MFA (amr has "mfa"; fresh for MFA_MAX_AGE_MINUTES)
  --minutes  lifetime, default 60
  --at       issue time (iat, nbf, auth_time), default now; with the devhost's virtual clock pass
             its time (GET /admin/devhost/clock) so the token is valid on the moved clock`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [user, ...extra] = positionals;
  if (!user || extra.length > 0) fail('name exactly one demo user');
  if (!isDemoUserKey(user)) fail(`unknown demo user '${user}'`);
  const minutes = values.minutes === undefined ? 60 : Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) fail('--minutes must be 1..1440');
  const at = values.at === undefined ? undefined : new Date(values.at);
  if (at && Number.isNaN(at.getTime())) fail(`--at '${values.at}' is not an ISO date and time`);

  // The key dir is relative to the working directory, which for the host is the app root.
  process.chdir(root);
  applyLocalSettings(root);
  if (!authSettings().DEV_ISSUER_ENABLED) {
    console.error('note: DEV_ISSUER_ENABLED is not true, so the service will not accept this token.');
  }
  console.log(await mintDevToken(user, { mfa: values.mfa, minutes, at }));
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      mfa: { type: 'boolean', default: false },
      minutes: { type: 'string' },
      at: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

main().catch((err) => {
  console.error('[token] failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
