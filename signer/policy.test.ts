import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dailyLimitsSchema } from '../core/signer-protocol/daily-limits.ts';
import { SignerRefusal } from './errors.ts';
import { DEFAULT_POLICY_LIMITS, createPolicy, keyKindOf, spendsOf, type SigningIntent } from './policy.ts';

const issuer = `G${'B'.repeat(55)}`;
const stellar: SigningIntent = {
  chain: 'stellar',
  keyId: randomUUID(),
  keyRef: 'wallet:42:stellar',
  address: 'GSOURCE',
  operations: [{ type: 'payment', destination: 'GDEST', asset: 'native', amount: '1' }],
  feeStroops: 100n,
};
const token = '0x00000000000000000000000000000000000000C0';
const evm: SigningIntent = {
  chain: 'evm',
  keyId: randomUUID(),
  keyRef: 'wallet:42:evm',
  address: '0x00000000000000000000000000000000000000a1',
  chainId: 31337,
  transfer: { kind: 'native', to: '0x00000000000000000000000000000000000000b2', value: '1' },
  maxFeeWei: 21_000n * 10n ** 9n,
};
const erc20: SigningIntent = {
  ...evm,
  transfer: { kind: 'erc20', token, to: '0x00000000000000000000000000000000000000b2', amount: '5' },
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

  it('allows ERC-20 transfers of any token when no token list is set', async () => {
    await expect(policy.check(erc20)).resolves.toBeUndefined();
  });

  it('limits nothing per day', () => {
    expect(policy.limitedSpends(stellar)).toEqual([]);
  });
});

describe('a policy with its own limits', () => {
  it('allows transfers of listed tokens only and caps EVM fees', async () => {
    const other = '0x00000000000000000000000000000000000000d0';
    const policy = createPolicy({
      limits: {
        ...DEFAULT_POLICY_LIMITS,
        evmTokens: new Set([token.toLowerCase()]),
        evmMaxFeeWei: 10n ** 15n,
      },
    });
    await expect(policy.check(erc20)).resolves.toBeUndefined();
    await expect(
      policy.check({ ...erc20, transfer: { kind: 'erc20', token: other, to: other, amount: '1' } }),
    ).rejects.toMatchObject({ code: 'POLICY_DENIED', message: `transfers of token ${other} are not signed` });
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

describe('when an extra rule refuses', () => {
  it('refuses with that rule’s refusal, after the built-in limits pass', async () => {
    const seen: SigningIntent[] = [];
    const rule = async (intent: SigningIntent) => {
      seen.push(intent);
      throw new SignerRefusal('POLICY_DENIED', 'no signatures on Sundays');
    };
    const policy = createPolicy({ rules: [rule] });
    await expect(policy.check(stellar)).rejects.toMatchObject({ message: 'no signatures on Sundays' });
    await expect(policy.check({ ...stellar, feeStroops: 10n ** 9n })).rejects.toMatchObject({
      code: 'FEE_TOO_HIGH',
    });
    expect(seen).toEqual([stellar]);
  });
});

describe('what an intent spends', () => {
  it('sums a Stellar transaction per asset, starting balances counted as XLM', () => {
    const intent: SigningIntent = {
      ...stellar,
      operations: [
        { type: 'payment', destination: 'GDEST', asset: 'native', amount: '1.5' },
        { type: 'createAccount', destination: 'GNEW', startingBalance: '2' },
        { type: 'payment', destination: 'GDEST', asset: { code: 'USDC', issuer }, amount: '0.0000001' },
      ],
    };
    expect(spendsOf(intent)).toEqual(
      new Map([
        ['stellar:native', 35_000_000n],
        [`stellar:USDC:${issuer}`, 1n],
      ]),
    );
  });

  it('counts an EVM native value or a token amount under the chain and token', () => {
    expect(spendsOf(evm)).toEqual(new Map([['evm:31337:native', 1n]]));
    expect(spendsOf(erc20)).toEqual(new Map([[`evm:31337:${token.toLowerCase()}`, 5n]]));
  });

  it('names a key’s kind by its ref up to the first colon', () => {
    expect(keyKindOf('wallet:42:stellar')).toBe('wallet');
    expect(keyKindOf('treasury:stellar')).toBe('treasury');
    expect(keyKindOf('bench')).toBe('bench');
  });
});

describe('a policy with daily limits', () => {
  const policy = createPolicy({
    dailyLimits: dailyLimitsSchema.parse(
      `wallet:stellar:native=100, wallet:evm:31337:${token}:6=1, treasury:stellar:native=1000`,
    ),
  });

  it('lists the spends a limit applies to, with the limit of the key’s kind', () => {
    expect(policy.limitedSpends(stellar)).toEqual([
      { asset: 'stellar:native', amountBase: 10_000_000n, limitBase: 1_000_000_000n, decimals: 7 },
    ]);
    expect(policy.limitedSpends({ ...stellar, keyRef: 'treasury:stellar' })).toEqual([
      { asset: 'stellar:native', amountBase: 10_000_000n, limitBase: 10_000_000_000n, decimals: 7 },
    ]);
    expect(policy.limitedSpends(erc20)).toEqual([
      { asset: `evm:31337:${token.toLowerCase()}`, amountBase: 5n, limitBase: 1_000_000n, decimals: 6 },
    ]);
  });

  it('leaves unlisted assets and key kinds unlimited', () => {
    expect(policy.limitedSpends(evm)).toEqual([]);
    expect(
      policy.limitedSpends({
        ...stellar,
        operations: [{ type: 'payment', destination: 'GDEST', asset: { code: 'USDC', issuer }, amount: '1' }],
      }),
    ).toEqual([]);
    expect(policy.limitedSpends({ ...stellar, keyRef: 'bench:stellar' })).toEqual([]);
  });
});
