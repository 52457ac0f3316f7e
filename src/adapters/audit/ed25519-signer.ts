import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { keyIdOf } from '../../core/audit/audit-entry.ts';
import { StrataError } from '../../core/errors.ts';
import type { AuditSigner } from '../../core/ports/audit-signer.ts';

/** Signs audit tree heads with an Ed25519 key kept in a PEM file (mode 0600), outside the database it vouches for. */
export class Ed25519FileSigner implements AuditSigner {
  readonly keyId: string;
  readonly publicKeyPem: string;

  private constructor(private readonly privateKey: KeyObject) {
    this.publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    this.keyId = keyIdOf(this.publicKeyPem);
  }

  /**
   * The key in `file`, made there first when `create` and the file does not exist. Two processes
   * starting at once agree: the file is created exclusively and the loser reads the winner's key.
   */
  static open(file: string, options: { create: boolean }): Ed25519FileSigner | undefined {
    const existing = readKey(file);
    if (existing !== undefined) return new Ed25519FileSigner(existing);
    if (!options.create) return undefined;
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new StrataError('Unavailable', `cannot write the audit signing key ${file}: ${(error as Error).message}`, { cause: error });
    }
    const key = readKey(file);
    if (key === undefined) throw new StrataError('Internal', `the audit signing key ${file} vanished after it was written`);
    return new Ed25519FileSigner(key);
  }

  sign(message: Buffer): Buffer {
    return sign(null, message, this.privateKey);
  }
}

function readKey(file: string): KeyObject | undefined {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StrataError('Unavailable', `cannot read the audit signing key ${file}: ${(error as Error).message}`, { cause: error });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new StrataError('InvalidArgument', `the audit signing key ${file} is not a PEM private key: ${(error as Error).message}`, { cause: error });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new StrataError('InvalidArgument', `the audit signing key ${file} is ${key.asymmetricKeyType ?? 'not an asymmetric key'}, not Ed25519`);
  return key;
}
