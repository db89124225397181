// Secrets of subscriptions and connectors are needed in clear to sign (HMAC), so they are sealed
// (AES-256-GCM) rather than hashed, under NOTIFY_ENCRYPTION_KEY, bound to the owning row's id.
import { settings } from '../config';
import { createSecretBox, type SecretBox } from '../mfa/secret-box';

export class NotifyKeyMissingError extends Error {}

let box: SecretBox | undefined;

function theBox(): SecretBox {
  if (!box) {
    const value = settings().NOTIFY_ENCRYPTION_KEY?.trim() ?? '';
    const key = Buffer.from(value, 'base64');
    if (key.length !== 32 || key.toString('base64') !== value) {
      throw new NotifyKeyMissingError(
        'NOTIFY_ENCRYPTION_KEY must be set to base64 of exactly 32 bytes to store webhook secrets.',
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
