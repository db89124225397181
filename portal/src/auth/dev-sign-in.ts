// "Sign in as" a demo user through the dev issuer (only where DEV_ISSUER_ENABLED=true). The choice
// lives in sessionStorage, so a reload keeps it and closing the tab forgets it; a token about to
// expire is simply minted again.
import { api } from '../api/client';

interface DevToken {
  access_token: string;
  expires_in: number;
}

export interface DevChoice {
  user: string;
  mfa: boolean;
}

const KEY = 'jit.devSignIn';
const RENEW_BEFORE_MS = 60_000;

let current: { token: string; expiresAt: number } | undefined;

export function savedDevChoice(): DevChoice | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as DevChoice) : undefined;
  } catch {
    return undefined;
  }
}

export function saveDevChoice(choice: DevChoice | undefined): void {
  current = undefined;
  if (choice) sessionStorage.setItem(KEY, JSON.stringify(choice));
  else sessionStorage.removeItem(KEY);
}

export async function devToken(choice: DevChoice): Promise<string> {
  if (current && current.expiresAt - RENEW_BEFORE_MS > Date.now()) return current.token;
  const issued = await api<DevToken>('/api/dev-issuer/token', {
    method: 'POST',
    anonymous: true,
    body: { user: choice.user, mfa: choice.mfa, minutes: 60 },
  });
  current = { token: issued.access_token, expiresAt: Date.now() + issued.expires_in * 1000 };
  return current.token;
}
