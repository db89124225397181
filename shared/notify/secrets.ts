// Secrets of subscriptions and connectors are needed in clear to sign (HMAC), so they are sealed
// (AES-256-GCM) rather than hashed, bound to the owning row's id. The key is NOTIFY_ENCRYPTION_KEY,
// or else one derived (HKDF) from MFA_ENCRYPTION_KEY, so that the two never share a key as such.
import { hkdfSync } from 'node:crypto';
import { settings } from '../config';
import { createSecretBox, type SecretBox } from '../mfa/secret-box';

export class NotifyKeyMissingError extends Error {}

let box: SecretBox | undefined;

function exact32(value: string | undefined): Buffer | undefined {
  const trimmed = value?.trim() ?? '';
  const key = Buffer.from(trimmed, 'base64');
  return key.length === 32 && key.toString('base64') === trimmed ? key : undefined;
}

function theBox(): SecretBox {
  if (!box) {
    const s = settings();
    let key = exact32(s.NOTIFY_ENCRYPTION_KEY);
    if (!key && !s.NOTIFY_ENCRYPTION_KEY) {
      const mfa = exact32(s.MFA_ENCRYPTION_KEY);
      if (mfa) key = Buffer.from(hkdfSync('sha256', mfa, Buffer.alloc(0), 'jit-access notify secrets', 32));
    }
    if (!key) {
      throw new NotifyKeyMissingError(
        'Set NOTIFY_ENCRYPTION_KEY (base64 of exactly 32 bytes) to store webhook and connector secrets.',
      );
    }
    box = createSecretBox(key);
    key.fill(0);
  }
  return box;
}

export function sealSecret(plain: string, context: string): string {
  return theBox().seal(Buffer.from(plain, 'utf8'), context);
}

export function openSecret(sealed: string, context: string): string {
  return theBox().open(sealed, context).toString('utf8');
}

/** Forgets the key (tests that change settings). */
export function resetSecrets(): void {
  box = undefined;
}
