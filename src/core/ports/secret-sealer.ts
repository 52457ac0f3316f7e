/**
 * Encrypts secrets the server must be able to read back (S3 secret keys: SigV4 verification
 * needs the secret itself) with a key kept outside the database. `context` is bound to the
 * ciphertext (the access key id), so a sealed secret copied to another row does not open.
 */
export interface SecretSealer {
  seal(secret: string, context: string): string;
  /** The secret; throws when `sealed` was not sealed by this key for this context. */
  open(sealed: string, context: string): string;
  /** Whether `stored` is sealed (by any key) rather than a legacy plain secret. */
  isSealed(stored: string): boolean;
}
