import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SecretSealer } from '../../core/ports/secret-sealer.ts';

const PREFIX = 'aes256gcm:';

/**
 * AES-256-GCM with a 32-byte key from a file (hex, mode 0600). Sealed form:
 * `aes256gcm:<key id>:<iv>:<ciphertext>:<tag>` (base64url; the key id is the first 8 hex of the
 * key's SHA-256, so a wrong key file is named as such instead of failing as a bad signature).
 * The context (the access key id) is the additional authenticated data.
 */
export class AesGcmSealer implements SecretSealer {
  private readonly keyId: string;

  private constructor(private readonly key: Buffer) {
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  /** Opens the key file; with `create`, makes it on first use (exclusively, so two processes agree on one key). */
  static open(file: string, options: { create: boolean }): AesGcmSealer {
    if (!existsSync(file)) {
      if (!options.create) throw new Error(`no secrets key at ${file} (STRATA_SECRETS_KEY_FILE)`);
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      try {
        writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (key.length !== 32) throw new Error(`the secrets key at ${file} is not 32 bytes of hex`);
    return new AesGcmSealer(key);
  }

  seal(secret: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [PREFIX + this.keyId, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join(':');
  }

  open(sealed: string, context: string): string {
    const [, keyId, iv = '', ciphertext = '', tag = ''] = sealed.split(':');
    if (!this.isSealed(sealed)) throw new Error('not a sealed secret');
    if (keyId !== this.keyId) throw new Error(`sealed with another key (${keyId ?? '?'}; this server's is ${this.keyId})`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  isSealed(stored: string): boolean {
    return stored.startsWith(PREFIX) && stored.split(':').length === 5;
  }
}
