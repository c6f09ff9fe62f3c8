import { Keypair } from '@stellar/stellar-sdk';
import type { Update } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBotApi, type FakeBotApi, type SentMessage } from '../doubles/fake-bot-api.ts';
import { startSendBot, startSendWorld, type SendBot, type SendWorld, type TestUser } from './send-harness.ts';

let world: SendWorld;
let telegram: FakeBotApi;
let sendBot: SendBot;
let alice: TestUser;

beforeAll(async () => {
  world = await startSendWorld('sendconv');
  telegram = await startFakeBotApi();
  sendBot = await startSendBot(world, telegram);
  alice = await world.createUser({ username: 'alice_conv', xlm: '10' });
});
afterAll(async () => {
  await sendBot?.close();
  await telegram?.close();
  await world?.close();
});

/** A Telegram user of the test, backed by a platform user with funded wallets. */
async function newSender(options: { language?: string } = {}) {
  const user = await world.createUser({ xlm: '100', language: options.language });
  const from = { id: user.telegramId, first_name: 'Sam', language_code: options.language ?? 'en' };
  return { user, from };
}

type From = { id: number; first_name: string; language_code: string };

const messagesTo = (chatId: number) => telegram.sentMessages(chatId);
const lastMessage = (chatId: number): SentMessage => messagesTo(chatId).at(-1)!;

async function say(from: From, text: string): Promise<SentMessage> {
  await sendBot.handle(telegram.sendUserMessage({ from, text }));
  return lastMessage(from.id);
}

async function press(from: From, message: SentMessage, data: string, force = false): Promise<Update> {
  const update = telegram.pressButton({
    from,
    message: { message_id: message.messageId, chat: { id: message.chatId } },
    data,
    force,
  });
  await sendBot.handle(update);
  return update;
}

const buttonsOf = (message: SentMessage) =>
  (message.replyMarkup?.inline_keyboard ?? []).flat() as { text: string; callback_data: string }[];

/** /send, pick the asset whose button starts with `asset`, then answer the questions. */
async function composeUpTo(from: From, asset: string, answers: string[]): Promise<SentMessage> {
  const prompt = await say(from, '/send');
  const button = buttonsOf(prompt).find((candidate) => candidate.text.startsWith(asset));
  if (!button) throw new Error(`no ${asset} button in ${JSON.stringify(buttonsOf(prompt))}`);
  await press(from, prompt, button.callback_data);
  for (const answer of answers) await say(from, answer);
  return lastMessage(from.id);
}

describe('sending XLM to a @username', () => {
  it('asks for asset, amount, destination and memo, then shows a summary with Confirm / Cancel', async () => {
    const { user, from } = await newSender();
    const assetPrompt = await say(from, '/send');
    expect(assetPrompt.text).toBe('What do you want to send?');
    const labels = buttonsOf(assetPrompt).map((button) => button.text);
    expect(labels[0]).toBe('XLM · Stellar · 100');
    expect(labels).toContain('ETH · EVM 31337 · 1');
    expect(labels).toContain('TUSD · EVM 31337 · 0');
    expect(labels.at(-1)).toBe('Cancel');
    for (const button of buttonsOf(assetPrompt))
      expect(button.callback_data).toMatch(/^send:(asset:\d+|cancel)$/);

    await press(from, assetPrompt, 'send:asset:0');
    expect(messagesTo(from.id).find((m) => m.messageId === assetPrompt.messageId)?.text).toMatch(
      /^Sending XLM/,
    );
    expect(lastMessage(from.id).text).toMatch(/^How much XLM\? You hold 100\./);
    expect((await say(from, '12.5')).text).toMatch(/^Who gets it\?/);
    const memoPrompt = await say(from, '@Alice_Conv');
    expect(memoPrompt.text).toMatch(/^Add a memo\?/);
    await press(from, memoPrompt, 'send:memo:skip');

    const summary = lastMessage(from.id);
    expect(summary.text).toContain('Please check your payment');
    expect(summary.text).toContain('Amount: 12.5 XLM');
    expect(summary.text).toContain('To: @alice_conv');
    expect(summary.text).toContain(alice.stellar!.publicKey());
    expect(summary.text).toContain('Network fee: at most 0.00001 XLM');
    const [confirm, cancel] = buttonsOf(summary);
    expect(confirm?.callback_data).toMatch(/^pa:[A-Za-z0-9_-]{22}:ok$/);
    expect(cancel?.callback_data).toMatch(/^pa:[A-Za-z0-9_-]{22}:no$/);

    const actionId = confirm!.callback_data.split(':')[1]!;
    const stored = await world.prisma.pendingAction.findUniqueOrThrow({ where: { id: actionId } });
    expect(stored).toMatchObject({
      kind: 'send',
      telegramUserId: BigInt(from.id),
      chatId: BigInt(from.id),
      messageId: summary.messageId,
      usedAt: null,
    });
    expect(stored.payload).toMatchObject({ amountBase: '125000000', recipientUsername: 'alice_conv' });
    expect(stored.expiresAt.getTime() - Date.now()).toBeGreaterThan(290_000);
    expect(await world.prisma.chainIntent.count({ where: { userId: user.record.id } })).toBe(0);
  });

  it('records and queues the payment on Confirm and turns the summary into its status message', async () => {
    const { user, from } = await newSender();
    const summary = await composeUpTo(from, 'XLM', ['3', '@alice_conv', 'lunch']);
    expect(summary.text).toContain('Memo: lunch');
    const confirm = buttonsOf(summary)[0]!;
    const update = await press(from, summary, confirm.callback_data);

    expect((await telegram.waitForCallbackAnswer(update.callback_query!.id)).text).toBeUndefined();
    const status = messagesTo(from.id).find((m) => m.messageId === summary.messageId)!;
    expect(status.text).toBe('⏳ Signing: 3 XLM to @alice_conv…');
    expect(status.replyMarkup).toBeUndefined();
    const key = `pay-${confirm.callback_data.split(':')[1]}`;
    expect(sendBot.executed).toContain(key);
    const intent = await world.prisma.chainIntent.findUniqueOrThrow({ where: { key } });
    expect(intent).toMatchObject({
      kind: 'PAYMENT',
      chain: 'STELLAR',
      userId: user.record.id,
      destination: alice.stellar!.publicKey(),
      recipientUserId: alice.record.id,
      assetCode: 'XLM',
      assetIssuer: null,
      memoType: 'text',
      memo: 'lunch',
      statusChatId: BigInt(from.id),
      statusMessageId: summary.messageId,
    });
    expect(intent.amountBase?.toFixed()).toBe('30000000');
  });

  it('leaves nothing recorded when the payment is cancelled from the summary', async () => {
    const { user, from } = await newSender();
    const summary = await composeUpTo(from, 'XLM', ['1', '@alice_conv']);
    await press(from, lastMessage(from.id), 'send:memo:skip');
    const ready = lastMessage(from.id);
    expect(ready.messageId).not.toBe(summary.messageId);
    await press(from, ready, buttonsOf(ready)[1]!.callback_data);
    expect(messagesTo(from.id).find((m) => m.messageId === ready.messageId)?.text).toBe(
      '✖️ Cancelled: 1 XLM to @alice_conv was not sent.',
    );
    expect(await world.prisma.chainIntent.count({ where: { userId: user.record.id } })).toBe(0);
  });
});

describe('answers that cannot be used', () => {
  it('explains each and asks again, keeping the earlier answers', async () => {
    const { from } = await newSender();
    await composeUpTo(from, 'XLM', []);
    expect((await say(from, '1,5')).text).toBe('Please use a dot for decimals, for example 12.5');
    expect((await say(from, '0')).text).toBe('The amount must be more than zero.');
    expect((await say(from, '1.12345678')).text).toMatch(/^XLM has at most 7 decimals/);
    expect((await say(from, '500')).text).toMatch(/^Who gets it\?/);
    expect((await say(from, alice.evm!.address)).text).toMatch(/^That is not a Stellar address/);
    expect((await say(from, Keypair.random().secret())).text).toMatch(/secret key/);
    expect((await say(from, '@nobody_known')).text).toMatch(/^Add a memo\?/);
    await press(from, lastMessage(from.id), 'send:memo:skip');
    // Checked together: the user is unknown; asked again for the destination only.
    const texts = messagesTo(from.id)
      .slice(-2)
      .map((m) => m.text);
    expect(texts[0]).toBe(
      'I do not know @nobody_known. They need to start a chat with me and create a wallet first.',
    );
    expect(texts[1]).toMatch(/^Who gets it\?/);
    await say(from, '@alice_conv');
    // 500 XLM is more than the account holds: asked again for the amount, not the destination.
    const [refusal, again] = messagesTo(from.id)
      .slice(-2)
      .map((m) => m.text);
    expect(refusal).toMatch(/^Not enough XLM: you can send at most 98\.99999 XLM now, and asked for 500\./);
    expect(again).toMatch(/^How much XLM\?/);
    const summary = await say(from, '2');
    expect(summary.text).toContain('Amount: 2 XLM');
    expect(summary.text).toContain('To: @alice_conv');
  });

  it('asks for the memo a SEP-29 destination requires', async () => {
    const exchange = Keypair.random();
    world.horizon.createAccount(exchange.publicKey(), '5');
    world.horizon.setAccountData(exchange.publicKey(), 'config.memo_required', '1');
    const { from } = await newSender();
    const memoPrompt = await composeUpTo(from, 'XLM', ['4', exchange.publicKey()]);
    await press(from, memoPrompt, 'send:memo:skip');
    const [refusal, again] = messagesTo(from.id)
      .slice(-2)
      .map((m) => m.text);
    expect(refusal).toMatch(/^This destination requires a memo \(SEP-29\)/);
    expect(again).toMatch(/^Add a memo\?/);
    expect((await say(from, 'x'.repeat(29))).text).toBe('A memo holds at most 28 bytes. Please shorten it.');
    const summary = await say(from, '9876543210');
    expect(summary.text).toContain('Memo (ID): 9876543210');
  });

  it('refuses a Stellar account that does not exist, saying so', async () => {
    const { from } = await newSender();
    const memoPrompt = await composeUpTo(from, 'XLM', ['1', Keypair.random().publicKey()]);
    await press(from, memoPrompt, 'send:memo:skip');
    expect(messagesTo(from.id).at(-2)?.text).toMatch(/^The account does not exist yet on Stellar/);
  });

  it('skips the memo on EVM and sends a token to an address', async () => {
    const { from, user } = await newSender();
    await world.token.mint(user.evm!.address, 7_000_000n);
    const summary = await composeUpTo(from, 'TUSD', ['7', alice.evm!.address.toLowerCase()]);
    expect(summary.text).toContain('Amount: 7 TUSD');
    expect(summary.text).toContain(`Token contract: ${world.token.address}`);
    expect(summary.text).toContain(alice.evm!.address);
    expect(summary.text).not.toContain('Memo');
  });
});

describe('leaving the conversation', () => {
  it('stops on /cancel and the next message is not taken as an answer', async () => {
    const { from } = await newSender();
    await composeUpTo(from, 'XLM', ['1']);
    expect((await say(from, '/cancel')).text).toBe('Cancelled. Nothing was sent.');
    expect((await say(from, '@alice_conv')).text).toMatch(/^I did not understand that/);
    expect((await say(from, '/cancel')).text).toBe('There is nothing to cancel.');
  });

  it('stops on the Cancel button of a question', async () => {
    const { from } = await newSender();
    const prompt = await say(from, '/send');
    await press(from, prompt, 'send:cancel');
    expect(lastMessage(from.id).text).toBe('Cancelled. Nothing was sent.');
    expect(buttonsOf(messagesTo(from.id).find((m) => m.messageId === prompt.messageId)!)).toEqual([]);
  });

  it('runs another command at once and forgets the send', async () => {
    const { from } = await newSender();
    await composeUpTo(from, 'XLM', ['1']);
    expect((await say(from, '/help')).text).toMatch(/What I can do/);
    expect((await say(from, '12')).text).toMatch(/^I did not understand that/);
  });

  it('ignores presses of an older asset keyboard', async () => {
    const { from } = await newSender();
    const first = await say(from, '/send');
    await say(from, '/send');
    const update = await press(from, first, 'send:asset:0');
    expect((await telegram.waitForCallbackAnswer(update.callback_query!.id)).text).toBe(
      'This button is no longer valid.',
    );
    expect(lastMessage(from.id).text).toBe('What do you want to send?');
  });
});

describe('in Spanish', () => {
  it('asks every question in the user’s language', async () => {
    const { from } = await newSender({ language: 'es' });
    const prompt = await say(from, '/send');
    expect(prompt.text).toBe('¿Qué quieres enviar?');
    await press(from, prompt, 'send:asset:0');
    expect(lastMessage(from.id).text).toMatch(/^¿Cuánto XLM\?/);
    expect((await say(from, '-3')).text).toBe('El importe debe ser mayor que cero.');
  });
});

describe('a user without wallets', () => {
  it('is told to create one first', async () => {
    const from = { id: 990_001, first_name: 'New', language_code: 'en' };
    expect((await say(from, '/send')).text).toMatch(/^You have no wallet yet/);
  });
});
