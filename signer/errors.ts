/**
 * Errors of the key service. The signer cannot import core/errors.ts (it shares nothing with the
 * platform but the wire schema), so it has its own small hierarchy. Messages travel to the caller
 * and into the audit log: they may name addresses and amounts, never key material.
 */
import { signerErrorStatus, type SignerErrorCode } from '../core/signer-protocol/schema.ts';

/** The signer will not do what it was asked; `code` is the stable wire code, `status` its HTTP status. */
export class SignerRefusal extends Error {
  readonly status: number;

  constructor(
    readonly code: SignerErrorCode,
    message: string,
    options?: { status?: number; cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.status = options?.status ?? signerErrorStatus[code];
  }
}

/** The audit log could not be written, so nothing is signed. */
export class AuditUnavailableError extends SignerRefusal {
  constructor(options?: { cause?: unknown }) {
    super('AUDIT_UNAVAILABLE', 'the audit log cannot be written; nothing was signed', options);
  }
}

/**
 * A stored key does not decrypt: wrong master key, or a row that was altered or swapped with
 * another (the authenticated data binds each ciphertext to its key id, chain and address).
 */
export class KeyIntegrityError extends Error {
  readonly code = 'KEY_INTEGRITY';

  constructor(
    readonly keyId: string,
    reason: string,
  ) {
    super(`key ${keyId} cannot be opened: ${reason}`);
    this.name = new.target.name;
  }
}
