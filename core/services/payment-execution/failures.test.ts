import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.ts';
import { LOCALES_DIR } from '../../locales.ts';
import {
  PAYMENT_FAILURE_REASONS,
  failureRecord,
  isNotAcceptedYet,
  reasonOfRecord,
  reasonOfSignerRefusal,
  reasonOfStellarCodes,
} from './failures.ts';

/** Shaped like core/adapters/signer-client.ts's refusal: a signer code and whether a retry may pass. */
class Refusal extends AppError {
  constructor(
    code: string,
    readonly retryable: boolean,
  ) {
    super(code, 'refused');
  }
}

describe('payment failure reasons', () => {
  it('name what the payer can act on from Horizon’s result codes', () => {
    expect(reasonOfStellarCodes(['tx_failed', 'op_underfunded'])).toBe('insufficient-funds');
    expect(reasonOfStellarCodes(['tx_failed', 'op_no_trust'])).toBe('destination-no-trustline');
    expect(reasonOfStellarCodes(['tx_failed', 'op_no_destination'])).toBe('destination-missing');
    expect(reasonOfStellarCodes(['tx_insufficient_balance'])).toBe('insufficient-funds');
    expect(reasonOfStellarCodes(['tx_bad_auth'])).toBe('rejected');
  });

  it('do not treat a refused submission as a failed payment', () => {
    expect(isNotAcceptedYet(['tx_insufficient_fee'])).toBe(true);
    expect(isNotAcceptedYet(['tx_bad_seq'])).toBe(true);
    expect(isNotAcceptedYet(['tx_too_late'])).toBe(true);
    expect(isNotAcceptedYet(['tx_failed', 'op_underfunded'])).toBe(false);
    expect(isNotAcceptedYet(['tx_insufficient_balance'])).toBe(false);
    expect(isNotAcceptedYet(['tx_bad_auth'])).toBe(false);
  });

  it('treat only final signer refusals as failures', () => {
    expect(reasonOfSignerRefusal(new Refusal('DAILY_LIMIT_EXCEEDED', false))).toBe('daily-limit');
    expect(reasonOfSignerRefusal(new Refusal('FEE_TOO_HIGH', false))).toBe('fee-too-high');
    expect(reasonOfSignerRefusal(new Refusal('POLICY_DENIED', false))).toBe('signer-refused');
    expect(reasonOfSignerRefusal(new Refusal('SIGNER_PAUSED', true))).toBeUndefined();
    expect(reasonOfSignerRefusal(new Refusal('SIGNER_UNAVAILABLE', true))).toBeUndefined();
    expect(reasonOfSignerRefusal(new Error('socket hang up'))).toBeUndefined();
  });

  it('survive a round trip through the intent’s error column', () => {
    expect(reasonOfRecord(failureRecord('invoice-expired', 'invoice'))).toBe('invoice-expired');
    expect(reasonOfRecord('tx_failed,op_underfunded')).toBe('rejected');
    expect(reasonOfRecord(null)).toBe('rejected');
  });
});

describe('every payment failure reason', () => {
  it('has a message to tell the payer', () => {
    const messages = readFileSync(join(LOCALES_DIR, 'en', 'payments.ftl'), 'utf8');
    for (const reason of PAYMENT_FAILURE_REASONS)
      expect(messages, reason).toMatch(new RegExp(`^payment-failure-${reason} =`, 'm'));
  });
});
