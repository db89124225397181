// Small secrets at rest, sealed with AES-256-GCM. Format: `v1.<iv>.<tag>.<data>` (base64url parts);
// the version prefix leaves room to rotate keys or algorithms without rewriting stored rows first.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { settings } from '../config';
import { MfaKeyConfigError, SecretBoxError } from './errors';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12; // the GCM standard nonce size; random per seal, so one key is good for ~2^32 seals
const TAG_BYTES = 16;

export interface SecretBox {
  /** Encrypts `plaintext`; `context` (e.g. the owning row's key) is authenticated but not stored. */
  seal(plaintext: Uint8Array, context: string): string;
  /** Decrypts a value from `seal` under the same context; throws SecretBoxError on any mismatch. */
  open(sealed: string, context: string): Buffer;
}

/** Parses the setting: strict base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`). */
export function parseKey(value: string | undefined): Buffer {
  if (value === undefined || value.trim() === '') {
    throw new MfaKeyConfigError(
      'MFA_ENCRYPTION_KEY is not set; TOTP authenticators need it (base64 of 32 random bytes, ' +
        'e.g. `openssl rand -base64 32`).',
    );
  }
  const key = Buffer.from(value.trim(), 'base64');
  // Buffer.from ignores junk characters, so insist the value re-encodes to itself.
  if (key.length !== KEY_BYTES || key.toString('base64') !== value.trim()) {
    key.fill(0);
    throw new MfaKeyConfigError('MFA_ENCRYPTION_KEY must be standard base64 of exactly 32 bytes.');
  }
  return key;
}

export function createSecretBox(key: Uint8Array): SecretBox {
  if (key.length !== KEY_BYTES) throw new MfaKeyConfigError('A secret box key must be 32 bytes.');
  const k = Buffer.from(key); // private copy: the caller may wipe theirs

  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', k, iv, { authTagLength: TAG_BYTES });
      // Binding the context stops a stored value being copied onto another principal's row.
      cipher.setAAD(aad(context));
      const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join(
        '.',
      );
    },

    open(sealed, context) {
      const parts = sealed.split('.');
      if (parts.length !== 4 || parts[0] !== VERSION) {
        throw new SecretBoxError('Sealed value has an unknown format or version.');
      }
      const [iv, tag, data] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
        throw new SecretBoxError('Sealed value is malformed.');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', k, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad(context));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(data), decipher.final()]);
      } catch {
        // Deliberately vague: tampering, a wrong key and a wrong context look the same.
        throw new SecretBoxError(
          'Sealed value failed authentication (tampered, or sealed under another key).',
        );
      }
    },
  };
}

function aad(context: string): Buffer {
  return Buffer.from(`${VERSION}:${context}`, 'utf8');
}

let shared: SecretBox | undefined;

/** The app's box, keyed from settings on first use (so the app starts without a key until MFA is used). */
export function secretBox(): SecretBox {
  if (!shared) {
    const key = parseKey(settings().MFA_ENCRYPTION_KEY);
    shared = createSecretBox(key);
    key.fill(0);
  }
  return shared;
}
