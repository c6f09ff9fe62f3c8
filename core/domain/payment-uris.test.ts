import { describe, expect, it } from 'vitest';
import { eip681Uri, sep7PayUri, telegramStartLink } from './payment-uris.ts';

const PAYEE = 'GBRPYHIL2CI3FNQ4BXLFMNDLFJUNPU2HY3ZMFSHONUCEOASW7QC7OX2H';
const ISSUER = 'GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN';

describe('sep7PayUri', () => {
  it('asks for XLM with the invoice memo id and an encoded message', () => {
    expect(
      sep7PayUri({
        destination: PAYEE,
        amountStroops: 125_000_000n,
        asset: null,
        memoId: 42n,
        message: 'coffee & beans',
      }),
    ).toBe(
      `web+stellar:pay?destination=${PAYEE}&amount=12.5&memo=42&memo_type=MEMO_ID&msg=coffee%20%26%20beans`,
    );
  });

  it('names a credit asset by code and issuer', () => {
    const uri = sep7PayUri({
      destination: PAYEE,
      amountStroops: 1n,
      asset: { code: 'USDC', issuer: ISSUER },
      memoId: null,
      message: null,
    });
    expect(uri).toBe(
      `web+stellar:pay?destination=${PAYEE}&amount=0.0000001&asset_code=USDC&asset_issuer=${ISSUER}`,
    );
  });

  it('cuts the message to 300 characters', () => {
    const uri = sep7PayUri({
      destination: PAYEE,
      amountStroops: 1n,
      asset: null,
      memoId: null,
      message: 'x'.repeat(400),
    });
    expect(new URL(uri.replace('web+stellar:', 'https://x/')).searchParams.get('msg')).toHaveLength(300);
  });
});

describe('eip681Uri', () => {
  const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
  const token = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

  it('asks for the native coin in wei', () => {
    expect(eip681Uri({ chainId: 1, to, token: null, amountBase: 10n ** 18n })).toBe(
      `ethereum:${to}@1?value=1000000000000000000`,
    );
  });

  it('asks for an ERC-20 transfer in base units', () => {
    expect(eip681Uri({ chainId: 31337, to, token, amountBase: 2_500_000n })).toBe(
      `ethereum:${token}@31337/transfer?address=${to}&uint256=2500000`,
    );
  });
});

describe('telegramStartLink', () => {
  it('builds a deep link', () => {
    expect(telegramStartLink('pay_bot', 'inv_Ab-1')).toBe('https://t.me/pay_bot?start=inv_Ab-1');
  });

  it.each(['', 'a b', 'x'.repeat(65), 'inv:1'])('refuses the payload %j', (payload) => {
    expect(() => telegramStartLink('pay_bot', payload)).toThrow(RangeError);
  });
});
