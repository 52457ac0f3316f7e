import type { ErasureCertificate, ErasurePhase, ErasureSummary, ErasureVerification } from '../core/erasure/erasure-service.ts';
import type { StrataCore } from '../core/strata.ts';
import type { CallContext } from '../core/versioning/types.ts';

export type { ErasureCertificate, ErasurePhase, ErasureSummary, ErasureVerification };

export interface EraseRequest {
  /** `repo@ref:path`, `source:<uri>`, `sha256:<hex>` or `dataset:<name>`. */
  target: string;
  reason?: string;
  dryRun?: boolean;
}

/** A stored erasure: its certificate as signed, the signature and the key that made it. */
export interface ErasureRecordView {
  certificate: ErasureCertificate;
  /** The exact text the signature is over. */
  text: string;
  signature: string;
  keyId: string;
}

/** Erasure along lineage (needs erasure:run; reading certificates, erasure:read). */
export interface ErasureApi {
  erase(request: EraseRequest, onProgress?: (phase: ErasurePhase) => void): Promise<ErasureCertificate>;
  show(id: string): Promise<ErasureRecordView>;
  list(limit?: number): Promise<ErasureSummary[]>;
  verify(id: string): Promise<ErasureVerification>;
}

export function localErasureApi(core: StrataCore, ctx: CallContext): ErasureApi {
  return {
    erase: (request, onProgress) => core.erasure.erase(ctx, { ...request, ...(onProgress ? { progress: onProgress } : {}) }),
    show: (id) => core.erasure.show(ctx, id),
    list: (limit) => core.erasure.list(ctx, limit),
    verify: (id) => core.erasure.verify(ctx, id),
  };
}

type Json = <T>(method: string, path: string, options?: { query?: Record<string, string | number | boolean | undefined>; body?: unknown }) => Promise<T>;

export function httpErasureApi(json: Json): ErasureApi {
  return {
    // The server reports no progress over HTTP: the call answers when the erasure ends.
    erase: (request) => json('POST', '/erasures', { body: { target: request.target, dryRun: request.dryRun === true, ...(request.reason === undefined ? {} : { reason: request.reason }) } }),
    show: (id) => json('GET', `/erasures/${encodeURIComponent(id)}`),
    list: async (limit) => (await json<{ erasures: ErasureSummary[] }>('GET', '/erasures', { query: { limit } })).erasures,
    verify: (id) => json('POST', `/erasures/${encodeURIComponent(id)}/verify`),
  };
}
