import { describe, expect, it } from 'vitest';
import { INVOICE_DESCRIPTION_LIMIT, InvoiceRequestError, parseInvoiceRequest } from './invoice-request.ts';

describe('parseInvoiceRequest', () => {
  it('reads amount, asset and a description', () => {
    expect(parseInvoiceRequest('10 XLM coffee beans')).toEqual({
      amount: '10',
      asset: 'XLM',
      description: 'coffee beans',
    });
  });

  it('accepts the asset before the amount and no description', () => {
    expect(parseInvoiceRequest('  USDC   2.5 ')).toEqual({ amount: '2.5', asset: 'USDC', description: '' });
  });

  it('keeps an explicit Stellar issuer with the code', () => {
    const issuer = 'GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN';
    expect(parseInvoiceRequest(`1 USDC:${issuer}`).asset).toBe(`USDC:${issuer}`);
  });

  it.each([
    ['', 'missing-amount'],
    ['XLM', 'missing-amount'],
    ['ten XLM', 'missing-amount'],
    ['-1 XLM', 'missing-amount'],
    ['1e3 XLM', 'missing-amount'],
    ['10', 'missing-asset'],
    ['10 X$M', 'missing-asset'],
    [`10 XLM ${'x'.repeat(INVOICE_DESCRIPTION_LIMIT + 1)}`, 'description-too-long'],
  ])('refuses %j as %s', (text, problem) => {
    expect(() => parseInvoiceRequest(text)).toThrow(InvoiceRequestError);
    try {
      parseInvoiceRequest(text);
    } catch (error) {
      expect((error as InvoiceRequestError).problem).toBe(problem);
    }
  });
});
