import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignerRefusal } from './errors.ts';
import { DEFAULT_POLICY_LIMITS, createPolicy, type SigningIntent } from './policy.ts';

const stellar: SigningIntent = {
  chain: 'stellar',
  keyId: randomUUID(),
  address: 'GSOURCE',
  operations: [{ type: 'payment', destination: 'GDEST', asset: 'native', amount: '1' }],
  feeStroops: 100n,
};
const contract = '0x00000000000000000000000000000000000000c0';
const evm: SigningIntent = {
  chain: 'evm',
  keyId: randomUUID(),
  address: '0x00000000000000000000000000000000000000a1',
  to: '0x00000000000000000000000000000000000000b2',
  valueWei: 1n,
  data: '0x',
  maxFeeWei: 21_000n * 10n ** 9n,
};

describe('the default policy', () => {
  const policy = createPolicy();

  it('allows a plain payment with a normal fee', async () => {
    await expect(policy.check(stellar)).resolves.toBeUndefined();
    await expect(policy.check(evm)).resolves.toBeUndefined();
  });

  it('refuses a Stellar fee above 1 XLM', async () => {
    await expect(policy.check({ ...stellar, feeStroops: 10_000_001n })).rejects.toMatchObject({
      code: 'FEE_TOO_HIGH',
    });
    await expect(policy.check({ ...stellar, feeStroops: 10_000_000n })).resolves.toBeUndefined();
  });

  it('refuses EVM contract calls to contracts it does not list', async () => {
    await expect(policy.check({ ...evm, to: contract, data: '0xa9059cbb' })).rejects.toMatchObject({
      code: 'POLICY_DENIED',
    });
  });
});

describe('a policy with its own limits', () => {
  it('allows calls to listed contracts and caps EVM fees', async () => {
    const policy = createPolicy({
      limits: { ...DEFAULT_POLICY_LIMITS, evmContracts: new Set([contract]), evmMaxFeeWei: 10n ** 15n },
    });
    await expect(
      policy.check({ ...evm, to: contract.toUpperCase().replace('0X', '0x'), data: '0x01' }),
    ).resolves.toBeUndefined();
    await expect(policy.check({ ...evm, maxFeeWei: 10n ** 15n + 1n })).rejects.toMatchObject({
      code: 'FEE_TOO_HIGH',
    });
  });

  it('refuses operation types that are not listed', async () => {
    const policy = createPolicy({
      limits: { ...DEFAULT_POLICY_LIMITS, stellarOperationTypes: new Set(['createAccount']) },
    });
    await expect(policy.check(stellar)).rejects.toMatchObject({ code: 'POLICY_DENIED' });
  });
});

describe('when an extra rule refuses (a kill switch, a daily limit)', () => {
  it('refuses with that rule’s refusal, after the built-in limits pass', async () => {
    const seen: SigningIntent[] = [];
    const killSwitch = async (intent: SigningIntent) => {
      seen.push(intent);
      throw new SignerRefusal('POLICY_DENIED', 'signing is switched off');
    };
    const policy = createPolicy({ rules: [killSwitch] });
    await expect(policy.check(stellar)).rejects.toMatchObject({ message: 'signing is switched off' });
    await expect(policy.check({ ...stellar, feeStroops: 10n ** 9n })).rejects.toMatchObject({
      code: 'FEE_TOO_HIGH',
    });
    expect(seen).toEqual([stellar]);
  });
});
