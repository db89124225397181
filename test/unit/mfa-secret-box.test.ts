import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MfaKeyConfigError, SecretBoxError } from '../../shared/mfa/errors';
import { createSecretBox, parseKey } from '../../shared/mfa/secret-box';

const key = randomBytes(32);
const box = createSecretBox(key);

function flipChar(part: string, index: number): string {
  const c = part[index];
  return part.slice(0, index) + (c === 'A' ? 'B' : 'A') + part.slice(index + 1);
}

describe('secret box', () => {
  it('round-trips any bytes, with a fresh IV each time', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.string(), (plain, context) => {
        const sealed = box.seal(plain, context);
        expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]*$/);
        expect(Buffer.from(box.open(sealed, context))).toEqual(Buffer.from(plain));
      }),
    );
    const secret = Buffer.from('same plaintext');
    expect(box.seal(secret, 'c')).not.toBe(box.seal(secret, 'c'));
  });

  it('detects tampering with the IV, tag or data', () => {
    const sealed = box.seal(Buffer.from('a TOTP secret, 20 bytes'), 'ctx');
    const parts = sealed.split('.');
    for (const i of [1, 2, 3]) {
      const tampered = [...parts];
      tampered[i] = flipChar(tampered[i], 2);
      expect(() => box.open(tampered.join('.'), 'ctx')).toThrow(SecretBoxError);
    }
  });

  it('refuses malformed values and unknown versions', () => {
    const sealed = box.seal(Buffer.from('x'), 'ctx');
    for (const bad of ['', 'v1', sealed.replace(/^v1/, 'v2'), `${sealed}.extra`, 'v1.AAAA.AAAA.AAAA']) {
      expect(() => box.open(bad, 'ctx')).toThrow(SecretBoxError);
    }
  });

  it('does not open under another key or another context', () => {
    const sealed = box.seal(Buffer.from('secret'), 'principal-a');
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'principal-a')).toThrow(SecretBoxError);
    expect(() => box.open(sealed, 'principal-b')).toThrow(SecretBoxError);
    expect(() => box.open(sealed, 'principal-b')).toThrow(
      expect.objectContaining({ code: 'SecretDecryptionFailed' }),
    );
  });

  it('keeps working after the caller wipes its key buffer', () => {
    const k = randomBytes(32);
    const b = createSecretBox(k);
    const sealed = b.seal(Buffer.from('secret'), 'c');
    k.fill(0);
    expect(b.open(sealed, 'c').toString()).toBe('secret');
  });
});

describe('parseKey (MFA_ENCRYPTION_KEY)', () => {
  it('accepts standard base64 of 32 bytes', () => {
    const raw = randomBytes(32);
    expect(parseKey(raw.toString('base64'))).toEqual(raw);
  });

  it('names the setting when it is missing', () => {
    expect(() => parseKey(undefined)).toThrow(MfaKeyConfigError);
    expect(() => parseKey('  ')).toThrow(/MFA_ENCRYPTION_KEY is not set/);
  });

  it('rejects wrong lengths and non-canonical text', () => {
    const good = randomBytes(32).toString('base64');
    for (const bad of [
      randomBytes(16).toString('base64'),
      randomBytes(33).toString('base64'),
      randomBytes(32).toString('hex'),
      `${good.slice(0, 10)}!${good.slice(10)}`,
      'not a key',
    ]) {
      expect(() => parseKey(bad), bad).toThrow(/exactly 32 bytes/);
    }
  });
});
