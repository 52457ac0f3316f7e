/**
 * The key that signs the audit log's tree heads (Ed25519). The private half never leaves the
 * adapter; verifiers need only `publicKeyPem`.
 */
export interface AuditSigner {
  /** Hex SHA-256 of the public key's DER (SubjectPublicKeyInfo) encoding. */
  readonly keyId: string;
  /** SPKI PEM, for `strata audit public-key` and external verifiers. */
  readonly publicKeyPem: string;
  sign(message: Buffer): Buffer;
}
