import { Keypair, Memo } from '@stellar/stellar-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SentMessage } from '../doubles/fake-bot-api.ts';
import { deployTestToken, type TestToken } from '../support/erc20.ts';
import { fundedWallet, sendRaw } from '../support/evm-chain.ts';
import { eventually, startPlatform, type Platform } from './support/platform.ts';

const rosa = { id: 8101, first_name: 'Rosa', language_code: 'es', username: 'rosa_cafe' };
const tom = { id: 8102, first_name: 'Tom', language_code: 'en', username: 'tom_pays' };
const DEEP_LINK = /\?start=(inv_[A-Za-z0-9_-]+)$/;

let platform: Platform;
let token: TestToken;
let tokenOwnerKey: string;

beforeAll(async () => {
  platform = await startPlatform({
    async env({ anvil }) {
      const owner = await fundedWallet(anvil.url);
      tokenOwnerKey = owner.privateKey;
      token = await deployTestToken(anvil.url, tokenOwnerKey, { symbol: 'USDT', decimals: 6 });
      return { EVM_TOKENS: `USDT:${token.address}:6` };
    },
  });
}, 60_000);
afterAll(async () => {
  await platform?.stop();
});

const messagesTo = (chatId: number) => platform.telegram.sentMessages(chatId);
const waitFor = (chatId: number, after: number, pattern: RegExp, timeoutMs?: number) =>
  eventually(
    () =>
      messagesTo(chatId)
        .slice(after)
        .find((message) => pattern.test(message.text ?? '')),
    timeoutMs,
  );

async function walletsOf(user: typeof rosa): Promise<{ stellar: string; evm: string }> {
  platform.telegram.sendUserMessage({ from: user, text: '/wallet' });
  const rows = await eventually(async () => {
    const found = await platform.query<{ chain: string; status: string; address: string }>(
      `SELECT w.chain, w.status, w.address FROM wallets w JOIN users u ON u.id = w.user_id WHERE u.telegram_id = $1`,
      [user.id],
    );
    return found.length === 2 && found.every((wallet) => wallet.status === 'ACTIVE') ? found : undefined;
  }, 30_000);
  return {
    stellar: rows.find((wallet) => wallet.chain === 'STELLAR')!.address,
    evm: rows.find((wallet) => wallet.chain === 'EVM')!.address,
  };
}

async function request(user: typeof rosa, text: string) {
  const before = messagesTo(user.id).length;
  platform.telegram.sendUserMessage({ from: user, text: `/request ${text}` });
  const card: SentMessage = await eventually(() =>
    messagesTo(user.id)
      .slice(before)
      .find((message) => message.photo !== undefined),
  );
  const pay = (card.replyMarkup?.inline_keyboard ?? []).flat()[0] as { url?: string };
  const slug = DEEP_LINK.exec(pay.url ?? '')![1]!.slice('inv_'.length);
  const [invoice] = await platform.query<{ id: string; memo_id: string; status: string }>(
    'SELECT id, memo_id::text, status FROM invoices WHERE slug = $1',
    [slug],
  );
  return invoice!;
}

const invoiceStatus = async (id: string) =>
  (await platform.query<{ status: string }>('SELECT status FROM invoices WHERE id = $1', [id]))[0]!.status;

describe('money arriving from outside the platform', () => {
  let rosaWallets: { stellar: string; evm: string };
  const outsider = Keypair.random();

  beforeAll(async () => {
    rosaWallets = await walletsOf(rosa);
    platform.horizon.createAccount(outsider.publicKey(), '1000');
  }, 60_000);

  it('tells the owner of a Stellar wallet once, in their language, with the sender', async () => {
    const before = messagesTo(rosa.id).length;
    platform.horizon.pay({ from: outsider, to: rosaWallets.stellar, amount: '12.5' });
    const notice = await waitFor(rosa.id, before, /^💰 Recibiste/);
    expect(notice.text).toContain('Recibiste 12.5 XLM de');
    expect(notice.text).toContain(outsider.publicKey().slice(0, 4));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      messagesTo(rosa.id)
        .slice(before)
        .filter((message) => /Recibiste/.test(message.text ?? '')),
    ).toHaveLength(1);
  });

  it('marks a Stellar invoice paid by a payment carrying its memo, and tells the payee', async () => {
    const invoice = await request(rosa, '3 XLM café con leche');
    const before = messagesTo(rosa.id).length;
    platform.horizon.pay({
      from: outsider,
      to: rosaWallets.stellar,
      amount: '3',
      memo: Memo.id(invoice.memo_id),
    });
    const notice = await waitFor(rosa.id, before, /café con leche/);
    expect(notice.text).toMatch(/pagada/);
    expect(await invoiceStatus(invoice.id)).toBe('PAID');
  });

  it('does not mark an invoice paid by a short payment, and says so', async () => {
    const invoice = await request(rosa, '5 XLM pastel');
    const before = messagesTo(rosa.id).length;
    platform.horizon.pay({
      from: outsider,
      to: rosaWallets.stellar,
      amount: '4.9999999',
      memo: Memo.id(invoice.memo_id),
    });
    const notice = await waitFor(rosa.id, before, /pastel/);
    expect(notice.text).toContain('4.9999999');
    expect(await invoiceStatus(invoice.id)).toBe('OPEN');
  });

  it('credits a native EVM transfer to the owner once', async () => {
    const payer = await fundedWallet(platform.anvil.url);
    const before = messagesTo(rosa.id).length;
    const signed = await payer.signTransaction({
      to: rosaWallets.evm,
      value: 1_500_000_000_000_000n,
      gasLimit: 21_000n,
      maxFeePerGas: 10n ** 10n,
      maxPriorityFeePerGas: 10n ** 9n,
      nonce: 0,
      chainId: platform.anvil.chainId,
      type: 2,
    });
    await sendRaw(platform.anvil.url, signed);
    const notice = await waitFor(rosa.id, before, /Recibiste 0\.0015 ETH/);
    expect(notice.text).toContain(payer.address.slice(0, 4));
  });

  it('pays an ERC-20 invoice from outside by exact amount, and shows a look-alike token as such', async () => {
    const invoice = await request(rosa, '2.5 USDT tostadas');
    const lookAlike = await deployTestToken(platform.anvil.url, tokenOwnerKey, {
      symbol: 'USDT',
      decimals: 6,
    });
    let before = messagesTo(rosa.id).length;
    await lookAlike.mint(rosaWallets.evm, 2_500_000n);
    const warning = await waitFor(rosa.id, before, /imitación/);
    expect(warning.text).toContain(lookAlike.address);
    expect(await invoiceStatus(invoice.id)).toBe('OPEN');

    before = messagesTo(rosa.id).length;
    await token.mint(rosaWallets.evm, 2_500_000n);
    await waitFor(rosa.id, before, /tostadas/);
    expect(await invoiceStatus(invoice.id)).toBe('PAID');
  });
});

describe('paying a platform user', () => {
  it('tells the recipient of a /send in their own language, once', async () => {
    const rosaWallets = await walletsOf(rosa);
    await walletsOf(tom);
    let before = messagesTo(tom.id).length;
    platform.telegram.sendUserMessage({ from: tom, text: '/send' });
    const prompt = await waitFor(tom.id, before, /^What do you want to send\?/);
    const xlm = (prompt.replyMarkup?.inline_keyboard ?? [])
      .flat()
      .find((button) => button.text.startsWith('XLM')) as {
      callback_data: string;
    };
    before = messagesTo(tom.id).length;
    platform.telegram.pressButton({
      from: tom,
      message: { message_id: prompt.messageId, chat: { id: tom.id } },
      data: xlm.callback_data,
    });
    await waitFor(tom.id, before, /^How much XLM\?/);
    before = messagesTo(tom.id).length;
    platform.telegram.sendUserMessage({ from: tom, text: '7' });
    await waitFor(tom.id, before, /^Who gets it\?/);
    before = messagesTo(tom.id).length;
    platform.telegram.sendUserMessage({ from: tom, text: '@rosa_cafe' });
    const memoPrompt = await waitFor(tom.id, before, /^Add a memo\?/);
    before = messagesTo(tom.id).length;
    platform.telegram.pressButton({
      from: tom,
      message: { message_id: memoPrompt.messageId, chat: { id: tom.id } },
      data: 'send:memo:skip',
    });
    const summary = await waitFor(tom.id, before, /Please check your payment/);
    const confirm = (summary.replyMarkup?.inline_keyboard ?? []).flat()[0] as { callback_data: string };

    const rosaBefore = messagesTo(rosa.id).length;
    const balanceBefore = platform.horizon.account(rosaWallets.stellar)!.balance;
    platform.telegram.pressButton({
      from: tom,
      message: { message_id: summary.messageId, chat: { id: tom.id } },
      data: confirm.callback_data,
    });
    const notice = await waitFor(rosa.id, rosaBefore, /^💰 Recibiste 7 XLM de @tom_pays/, 30_000);
    expect(notice.text).toContain('@tom_pays');
    await eventually(() =>
      /✅/.test(messagesTo(tom.id).find((m) => m.messageId === summary.messageId)?.text ?? ''),
    );
    expect(platform.horizon.account(rosaWallets.stellar)!.balance - balanceBefore).toBe(70_000_000n);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      messagesTo(rosa.id)
        .slice(rosaBefore)
        .filter((m) => /Recibiste 7 XLM/.test(m.text ?? '')),
    ).toHaveLength(1);
  });
});
