import { randomUUID } from 'node:crypto';
import {
  Account,
  Asset,
  Keypair,
  Memo,
  MuxedAccount,
  Networks,
  Operation,
  TimeoutInfinite,
  TransactionBuilder,
  type Transaction,
  type xdr,
} from '@stellar/stellar-sdk';
import { Interface, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import type {
  DeclaredStellarMemo,
  DeclaredStellarOperation,
  SignEvmRequest,
} from '../core/signer-protocol/schema.ts';
import { SignerRefusal } from './errors.ts';
import {
  checkEvmIntent,
  checkStellarIntent,
  checkStellarMemo,
  checkStellarValidity,
  decodeEvm,
  erc20TransferData,
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

describe('checking a Stellar memo against the declaration', () => {
  const withMemo = (memo: Memo) =>
    new TransactionBuilder(new Account(source, '100'), { fee: '100', networkPassphrase: network })
      .addOperation(Operation.payment({ destination, asset: Asset.native(), amount: '1' }))
      .addMemo(memo)
      .setTimeout(60)
      .build();
  /** Decoded from XDR, as the signer sees it: text memos come back as bytes. */
  const check = (memo: Memo, declared: DeclaredStellarMemo | undefined) =>
    refusalOf(() =>
      checkStellarMemo(TransactionBuilder.fromXDR(withMemo(memo).toXDR(), network) as Transaction, declared),
    );
  const hash = 'ab'.repeat(32);

  it('accepts exactly the declared memo of each type', () => {
    expect(check(Memo.none(), undefined)).toBeUndefined();
    expect(check(Memo.text('invoice Ω 7'), { type: 'text', value: 'invoice Ω 7' })).toBeUndefined();
    expect(
      check(Memo.id('18446744073709551615'), { type: 'id', value: '18446744073709551615' }),
    ).toBeUndefined();
    expect(check(Memo.hash(hash), { type: 'hash', value: hash.toUpperCase() })).toBeUndefined();
    expect(check(Memo.return(hash), { type: 'return', value: hash })).toBeUndefined();
  });

  it('refuses a memo that differs from the declared one', () => {
    expect(check(Memo.text('invoice 8'), { type: 'text', value: 'invoice 7' })).toEqual({
      code: 'UNDECLARED_OPERATION',
      message: 'the transaction has a different text memo, declared a text memo',
    });
    expect(check(Memo.id('7'), { type: 'id', value: '8' })).toMatchObject({ code: 'UNDECLARED_OPERATION' });
    expect(check(Memo.hash(hash), { type: 'return', value: hash })).toMatchObject({
      code: 'UNDECLARED_OPERATION',
    });
    expect(check(Memo.id('7'), { type: 'text', value: '7' })).toMatchObject({ code: 'UNDECLARED_OPERATION' });
  });

  it('refuses a memo that was not declared, and a declared memo that is missing', () => {
    expect(check(Memo.text('x'), undefined)).toEqual({
      code: 'UNDECLARED_OPERATION',
      message: 'the transaction has a text memo, declared no memo',
    });
    expect(check(Memo.none(), { type: 'id', value: '1' })).toEqual({
      code: 'UNDECLARED_OPERATION',
      message: 'the transaction has no memo, declared a id memo',
    });
  });
});

describe('checking how long a Stellar envelope stays valid', () => {
  const nowMs = 1_800_000_000_000;
  const now = nowMs / 1000;
  const bounded = (timebounds: { minTime: number; maxTime: number } | undefined) => {
    const builder = new TransactionBuilder(new Account(source, '100'), {
      fee: '100',
      networkPassphrase: network,
      ...(timebounds ? { timebounds } : {}),
    }).addOperation(Operation.payment({ destination, asset: Asset.native(), amount: '1' }));
    if (!timebounds) builder.setTimeout(TimeoutInfinite);
    return builder.build();
  };
  const check = (transaction: Transaction) =>
    refusalOf(() => checkStellarValidity(transaction, { nowMs, maxValiditySeconds: 300 }));

  it('accepts a maxTime up to the window ahead', () => {
    expect(check(bounded({ minTime: 0, maxTime: now + 300 }))).toBeUndefined();
    expect(check(bounded({ minTime: 0, maxTime: now + 1 }))).toBeUndefined();
  });

  it('refuses an envelope valid forever', () => {
    expect(check(bounded(undefined))).toEqual({
      code: 'INVALID_TIME_BOUNDS',
      message: 'the transaction has no maxTime, so it never expires',
    });
    expect(check(bounded({ minTime: now, maxTime: 0 }))).toMatchObject({ code: 'INVALID_TIME_BOUNDS' });
  });

  it('refuses a maxTime further ahead than the window', () => {
    expect(check(bounded({ minTime: 0, maxTime: now + 301 }))).toEqual({
      code: 'INVALID_TIME_BOUNDS',
      message: `the transaction is valid until ${now + 301}, more than 300 s from now`,
    });
  });
});

describe('checking an EVM transaction', () => {
  const to = Wallet.createRandom().address;
  const token = Wallet.createRandom().address;
  const erc20 = new Interface(['function transfer(address to, uint256 amount)']);
  const transaction: SignEvmRequest['transaction'] = {
    to,
    value: '1000',
    data: '0x',
    nonce: 0,
    gasLimit: '21000',
    maxFeePerGas: '2000000000',
    maxPriorityFeePerGas: '1000000000',
    chainId: 31337,
  };
  const native: SignEvmRequest = {
    keyId: randomUUID(),
    chainId: 31337,
    transaction,
    declared: { kind: 'native', to, value: '1000' },
  };
  const tokenTransfer: SignEvmRequest = {
    keyId: randomUUID(),
    chainId: 31337,
    transaction: {
      ...transaction,
      to: token,
      value: '0',
      gasLimit: '60000',
      data: erc20.encodeFunctionData('transfer', [to, 250_000_000n]),
    },
    declared: { kind: 'erc20', token, to, amount: '250000000' },
  };
  const check = (changed: SignEvmRequest) =>
    refusalOf(() => checkEvmIntent(decodeEvm(changed, 31337).transaction, changed.declared));
  const withData = (data: string): SignEvmRequest => ({
    ...tokenTransfer,
    transaction: { ...tokenTransfer.transaction, data },
  });

  describe('a native transfer', () => {
    it('is accepted as declared, addresses compared without regard to checksum case', () => {
      expect(check(native)).toBeUndefined();
      expect(
        check({ ...native, declared: { kind: 'native', to: to.toLowerCase(), value: '1000' } }),
      ).toBeUndefined();
    });

    it('is refused on another chain id in the request or in the transaction', () => {
      expect(check({ ...native, chainId: 1 })).toMatchObject({ code: 'WRONG_NETWORK' });
      expect(check({ ...native, transaction: { ...transaction, chainId: 1 } })).toMatchObject({
        code: 'WRONG_NETWORK',
      });
    });

    it('is refused with another recipient or value than declared', () => {
      const other = Wallet.createRandom().address;
      expect(check({ ...native, declared: { kind: 'native', to: other, value: '1000' } })).toMatchObject({
        code: 'UNDECLARED_OPERATION',
      });
      expect(check({ ...native, declared: { kind: 'native', to, value: '1001' } })).toEqual({
        code: 'UNDECLARED_OPERATION',
        message: 'the transaction moves 1000 wei, declared 1001',
      });
    });

    it('is refused when the transaction carries call data: an undeclared contract call', () => {
      expect(check({ ...native, transaction: { ...transaction, data: '0x00' } })).toEqual({
        code: 'UNDECLARED_OPERATION',
        message: 'the transaction carries call data; a native transfer has none',
      });
    });

    it('compares values as numbers, not strings', () => {
      expect(check({ ...native, declared: { kind: 'native', to, value: '01000' } })).toBeUndefined();
    });
  });

  describe('an ERC-20 transfer', () => {
    it('is accepted when the data is exactly transfer(to, amount) on the declared token', () => {
      expect(check(tokenTransfer)).toBeUndefined();
      expect(erc20TransferData(to, 250_000_000n)).toBe(tokenTransfer.transaction.data.toLowerCase());
    });

    it('is refused on another token contract', () => {
      const other = Wallet.createRandom().address;
      expect(check({ ...tokenTransfer, transaction: { ...tokenTransfer.transaction, to: other } })).toEqual({
        code: 'UNDECLARED_OPERATION',
        message: `the transaction calls ${other}, declared token ${token}`,
      });
    });

    it('is refused when it also moves native value', () => {
      expect(
        check({ ...tokenTransfer, transaction: { ...tokenTransfer.transaction, value: '1' } }),
      ).toMatchObject({
        code: 'UNDECLARED_OPERATION',
      });
    });

    it('is refused when the data pays another recipient or amount', () => {
      const thief = Wallet.createRandom().address;
      expect(check(withData(erc20.encodeFunctionData('transfer', [thief, 250_000_000n])))).toEqual({
        code: 'UNDECLARED_OPERATION',
        message: `the transaction transfers to ${thief.toLowerCase()}, declared ${to}`,
      });
      expect(check(withData(erc20.encodeFunctionData('transfer', [to, 250_000_001n])))).toEqual({
        code: 'UNDECLARED_OPERATION',
        message: 'the transaction transfers 250000001 token units, declared 250000000',
      });
    });

    it('is refused when the data calls anything but transfer', () => {
      const approve = new Interface(['function approve(address spender, uint256 amount)']);
      expect(check(withData(approve.encodeFunctionData('approve', [to, 250_000_000n])))).toEqual({
        code: 'UNDECLARED_OPERATION',
        message: 'the transaction calls selector 0x095ea7b3, not transfer',
      });
    });

    it('is refused with trailing bytes or dirty high bits in the address word', () => {
      const exact = tokenTransfer.transaction.data;
      expect(check(withData(`${exact}00`))).toMatchObject({
        code: 'UNDECLARED_OPERATION',
        message: 'the transaction has 69 bytes of call data, a transfer has 68',
      });
      const dirty = `${exact.slice(0, 10)}ff${exact.slice(12)}`;
      expect(check(withData(dirty))).toMatchObject({ code: 'UNDECLARED_OPERATION' });
    });

    it('is refused when declared as a native transfer', () => {
      expect(check({ ...tokenTransfer, declared: { kind: 'native', to: token, value: '0' } })).toMatchObject({
        code: 'UNDECLARED_OPERATION',
        message: 'the transaction carries call data; a native transfer has none',
      });
    });
  });
});
