import { randomUUID } from 'node:crypto';
import {
  Account,
  Asset,
  Keypair,
  MuxedAccount,
  Networks,
  Operation,
  TransactionBuilder,
  type Transaction,
  type xdr,
} from '@stellar/stellar-sdk';
import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import type { DeclaredStellarOperation, SignEvmRequest } from '../core/signer-protocol/schema.ts';
import { SignerRefusal } from './errors.ts';
import {
  checkEvmIntent,
  checkStellarIntent,
  decodeEvm,
  decodeStellar,
  normalizeStellarAmount,
} from './verify.ts';

const network = Networks.TESTNET;
const source = Keypair.random().publicKey();
const destination = Keypair.random().publicKey();
const issuer = Keypair.random().publicKey();

function build(operations: xdr.Operation[], from: string | Account = source): Transaction {
  const account = typeof from === 'string' ? new Account(from, '100') : from;
  const builder = new TransactionBuilder(account, { fee: '100', networkPassphrase: network }).setTimeout(300);
  for (const operation of operations) builder.addOperation(operation);
  return builder.build();
}

function refusalOf(run: () => unknown): { code: string; message: string } | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof SignerRefusal) return { code: error.code, message: error.message };
    throw error;
  }
  return undefined;
}

function checkDecoded(transaction: Transaction, declared: DeclaredStellarOperation[], address = source) {
  const request = {
    keyId: randomUUID(),
    networkPassphrase: network,
    transactionXdr: transaction.toXDR(),
    declaredOperations: declared,
  };
  return refusalOf(() => checkStellarIntent(decodeStellar(request, network).transaction, declared, address));
}

const createAccount = { type: 'createAccount', destination, startingBalance: '2' } as const;
const payment = { type: 'payment', destination, asset: 'native', amount: '10.5' } as const;

describe('normalizing a Stellar amount', () => {
  it.each([
    ['2', '2.0000000'],
    ['02.5', '2.5000000'],
    ['0.0000001', '0.0000001'],
    ['0', '0.0000000'],
    ['922337203685.4775807', '922337203685.4775807'],
  ])('writes %s as %s', (input, output) => {
    expect(normalizeStellarAmount(input)).toBe(output);
  });

  it.each(['', '1.', '.5', '1.00000001', '-1', '1e3', ' 1'])('refuses %j', (input) => {
    expect(normalizeStellarAmount(input)).toBeUndefined();
  });
});

describe('decoding a Stellar envelope', () => {
  const transaction = build([Operation.createAccount({ destination, startingBalance: '2' })]);

  it('returns the transaction and the hash a signature must cover', () => {
    const request = {
      keyId: randomUUID(),
      networkPassphrase: network,
      transactionXdr: transaction.toXDR(),
      declaredOperations: [createAccount],
    };
    expect(decodeStellar(request, network).hash.equals(transaction.hash())).toBe(true);
  });

  it('refuses a request for another network', () => {
    const request = {
      keyId: randomUUID(),
      networkPassphrase: Networks.PUBLIC,
      transactionXdr: transaction.toXDR(),
      declaredOperations: [createAccount],
    };
    expect(refusalOf(() => decodeStellar(request, network))).toMatchObject({ code: 'WRONG_NETWORK' });
  });

  it('refuses something that is not an envelope', () => {
    const request = {
      keyId: randomUUID(),
      networkPassphrase: network,
      transactionXdr: 'AAAA',
      declaredOperations: [createAccount],
    };
    expect(refusalOf(() => decodeStellar(request, network))).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('refuses a fee bump', () => {
    const feeSource = Keypair.random();
    const bump = TransactionBuilder.buildFeeBumpTransaction(feeSource, '200', transaction, network);
    const request = {
      keyId: randomUUID(),
      networkPassphrase: network,
      transactionXdr: bump.toXDR(),
      declaredOperations: [createAccount],
    };
    expect(refusalOf(() => decodeStellar(request, network))).toMatchObject({
      code: 'UNSUPPORTED_TRANSACTION',
    });
  });
});

describe('checking a Stellar transaction against the declaration', () => {
  it('accepts exactly the declared operations, amounts compared after normalizing', () => {
    const transaction = build([
      Operation.createAccount({ destination, startingBalance: '2.0000000' }),
      Operation.payment({ destination, asset: Asset.native(), amount: '10.5' }),
    ]);
    expect(checkDecoded(transaction, [createAccount, payment])).toBeUndefined();
  });

  it('accepts a credit asset with the declared code and issuer', () => {
    const transaction = build([
      Operation.payment({ destination, asset: new Asset('USDC', issuer), amount: '1' }),
    ]);
    const declared = { type: 'payment', destination, asset: { code: 'USDC', issuer }, amount: '1' } as const;
    expect(checkDecoded(transaction, [declared])).toBeUndefined();
  });

  describe('when the operations differ from the declaration', () => {
    it('refuses a payment declared as a createAccount', () => {
      const transaction = build([Operation.payment({ destination, asset: Asset.native(), amount: '2' })]);
      expect(checkDecoded(transaction, [createAccount])).toMatchObject({ code: 'UNDECLARED_OPERATION' });
    });

    it('refuses an extra operation', () => {
      const transaction = build([
        Operation.createAccount({ destination, startingBalance: '2' }),
        Operation.payment({ destination, asset: Asset.native(), amount: '10.5' }),
      ]);
      expect(checkDecoded(transaction, [createAccount])).toMatchObject({
        code: 'UNDECLARED_OPERATION',
        message: 'the transaction has 2 operations, 1 declared',
      });
    });

    it('refuses a different amount, destination or starting balance', () => {
      const other = Keypair.random().publicKey();
      expect(
        checkDecoded(
          build([Operation.payment({ destination, asset: Asset.native(), amount: '10.5000001' })]),
          [payment],
        ),
      ).toMatchObject({ code: 'UNDECLARED_OPERATION' });
      expect(
        checkDecoded(
          build([Operation.payment({ destination: other, asset: Asset.native(), amount: '10.5' })]),
          [payment],
        ),
      ).toMatchObject({ code: 'UNDECLARED_OPERATION' });
      expect(
        checkDecoded(build([Operation.createAccount({ destination, startingBalance: '3' })]), [
          createAccount,
        ]),
      ).toMatchObject({ code: 'UNDECLARED_OPERATION' });
    });

    it('refuses another asset code or issuer', () => {
      const declared = {
        type: 'payment',
        destination,
        asset: { code: 'USDC', issuer },
        amount: '1',
      } as const;
      const otherIssuer = Keypair.random().publicKey();
      const usdc = (code: string, by: string) =>
        build([Operation.payment({ destination, asset: new Asset(code, by), amount: '1' })]);
      expect(checkDecoded(usdc('USDC', otherIssuer), [declared])).toMatchObject({
        code: 'UNDECLARED_OPERATION',
      });
      expect(checkDecoded(usdc('usdc', issuer), [declared])).toMatchObject({ code: 'UNDECLARED_OPERATION' });
      expect(
        checkDecoded(build([Operation.payment({ destination, asset: Asset.native(), amount: '1' })]), [
          declared,
        ]),
      ).toMatchObject({ code: 'UNDECLARED_OPERATION' });
    });

    it('refuses operations in another order than declared', () => {
      const transaction = build([
        Operation.payment({ destination, asset: Asset.native(), amount: '10.5' }),
        Operation.createAccount({ destination, startingBalance: '2' }),
      ]);
      expect(checkDecoded(transaction, [createAccount, payment])).toMatchObject({
        code: 'UNDECLARED_OPERATION',
      });
    });

    it('refuses an operation type it never signs, whatever is declared', () => {
      const transaction = build([Operation.accountMerge({ destination })]);
      expect(checkDecoded(transaction, [payment])).toMatchObject({ code: 'UNDECLARED_OPERATION' });
    });

    it('refuses a muxed destination declared as its G account', () => {
      const muxed = new MuxedAccount(new Account(destination, '0'), '7').accountId();
      const transaction = build([
        Operation.payment({ destination: muxed, asset: Asset.native(), amount: '10.5' }),
      ]);
      expect(checkDecoded(transaction, [payment])).toMatchObject({ code: 'UNDECLARED_OPERATION' });
      expect(checkDecoded(transaction, [{ ...payment, destination: muxed }])).toBeUndefined();
    });
  });

  describe('when the source is not the key account', () => {
    it('refuses a transaction whose source is another account', () => {
      const transaction = build(
        [Operation.createAccount({ destination, startingBalance: '2' })],
        Keypair.random().publicKey(),
      );
      expect(checkDecoded(transaction, [createAccount])).toMatchObject({ code: 'WRONG_SOURCE' });
    });

    it('refuses an operation whose own source is another account', () => {
      const transaction = build([
        Operation.createAccount({ destination, startingBalance: '2', source: Keypair.random().publicKey() }),
      ]);
      expect(checkDecoded(transaction, [createAccount])).toMatchObject({ code: 'WRONG_SOURCE' });
    });

    it('accepts an operation source that is the key account itself', () => {
      const transaction = build([Operation.createAccount({ destination, startingBalance: '2', source })]);
      expect(checkDecoded(transaction, [createAccount])).toBeUndefined();
    });

    it('judges a muxed source by the account underneath', () => {
      const own = new MuxedAccount(new Account(source, '100'), '42');
      const foreign = new MuxedAccount(new Account(Keypair.random().publicKey(), '100'), '42');
      const operation = Operation.createAccount({ destination, startingBalance: '2' });
      expect(checkDecoded(build([operation], own as unknown as Account), [createAccount])).toBeUndefined();
      expect(checkDecoded(build([operation], foreign as unknown as Account), [createAccount])).toMatchObject({
        code: 'WRONG_SOURCE',
      });
    });
  });
});

describe('checking an EVM transaction', () => {
  const to = Wallet.createRandom().address;
  const request: SignEvmRequest = {
    keyId: randomUUID(),
    chainId: 31337,
    transaction: {
      to,
      value: '1000',
      data: '0x',
      nonce: 0,
      gasLimit: '21000',
      maxFeePerGas: '2000000000',
      maxPriorityFeePerGas: '1000000000',
      chainId: 31337,
    },
    declared: { to, value: '1000', data: '0x' },
  };
  const check = (changed: SignEvmRequest) =>
    refusalOf(() => checkEvmIntent(decodeEvm(changed, 31337).transaction, changed.declared));

  it('accepts what was declared, addresses compared without regard to checksum case', () => {
    expect(check(request)).toBeUndefined();
    expect(check({ ...request, declared: { ...request.declared, to: to.toLowerCase() } })).toBeUndefined();
  });

  it('refuses another chain id in the request or in the transaction', () => {
    expect(check({ ...request, chainId: 1 })).toMatchObject({ code: 'WRONG_NETWORK' });
    expect(check({ ...request, transaction: { ...request.transaction, chainId: 1 } })).toMatchObject({
      code: 'WRONG_NETWORK',
    });
  });

  it('refuses another recipient, value or data than declared', () => {
    const other = Wallet.createRandom().address;
    expect(check({ ...request, declared: { ...request.declared, to: other } })).toMatchObject({
      code: 'UNDECLARED_OPERATION',
    });
    expect(check({ ...request, declared: { ...request.declared, value: '1001' } })).toMatchObject({
      code: 'UNDECLARED_OPERATION',
    });
    expect(check({ ...request, declared: { ...request.declared, data: '0x00' } })).toMatchObject({
      code: 'UNDECLARED_OPERATION',
    });
  });

  it('compares values as numbers, not strings', () => {
    expect(check({ ...request, declared: { ...request.declared, value: '01000' } })).toBeUndefined();
  });
});
