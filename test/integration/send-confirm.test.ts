import { randomBytes } from 'node:crypto';
import type { Update } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBotApi, type FakeBotApi, type SentMessage } from '../doubles/fake-bot-api.ts';
import { startSendBot, startSendWorld, type SendBot, type SendWorld, type TestUser } from './send-harness.ts';

let world: SendWorld;
let telegram: FakeBotApi;
let sendBot: SendBot;
let alice: TestUser;

beforeAll(async () => {
  world = await startSendWorld('sendconfirm');
  telegram = await startFakeBotApi();
  sendBot = await startSendBot(world, telegram);
  alice = await world.createUser({ username: 'alice_confirm', xlm: '10' });
});
afterAll(async () => {
  await sendBot?.close();
  await telegram?.close();
  await world?.close();
});

type From = { id: number; first_name: string; language_code: string };

interface Summary {
  from: From;
  user: TestUser;
  message: SentMessage;
  actionId: string;
  confirm: string;
  cancel: string;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const current = (message: SentMessage) =>
  telegram.sentMessages(message.chatId).find((m) => m.messageId === message.messageId)!;

async function handleText(bot: SendBot, from: From, text: string) {
  await bot.handle(telegram.sendUserMessage({ from, text }));
  return telegram.sentMessages(from.id).at(-1)!;
}

/** A user with wallets composes "2 XLM to @alice_confirm" and gets the summary with its buttons. */
async function summary(language = 'en'): Promise<Summary> {
  const user = await world.createUser({ xlm: '100', language });
  const from = { id: user.telegramId, first_name: 'Sam', language_code: language };
  const prompt = await handleText(sendBot, from, '/send');
  await sendBot.handle(
    telegram.pressButton({
      from,
      message: { message_id: prompt.messageId, chat: { id: from.id } },
      data: 'send:asset:0',
    }),
  );
  await handleText(sendBot, from, '2');
  await handleText(sendBot, from, '@alice_confirm');
  const message = await handleText(sendBot, from, 'rent');
  const [confirm, cancel] = (message.replyMarkup!.inline_keyboard.flat() as { callback_data: string }[]).map(
    (button) => button.callback_data,
  );
  return { from, user, message, actionId: confirm!.split(':')[1]!, confirm: confirm!, cancel: cancel! };
}

function pressOf(s: Summary, options: { from?: From; data?: string; message?: SentMessage } = {}): Update {
  const message = options.message ?? s.message;
  return telegram.pressButton({
    from: options.from ?? s.from,
    message: { message_id: message.messageId, chat: { id: message.chatId } },
    data: options.data ?? s.confirm,
    force: true,
  });
}

const answerTo = async (update: Update) =>
  (await telegram.waitForCallbackAnswer(update.callback_query!.id)).text;
const intentsOf = (user: TestUser) =>
  world.prisma.chainIntent.findMany({ where: { userId: user.record.id } });
const queuedFor = (s: Summary) => sendBot.executed.filter((key) => key === `pay-${s.actionId}`);

describe('a Confirm pressed twice, 30 ms apart', () => {
  it('records and queues one payment, and says the second press was already done', async () => {
    const s = await summary();
    const first = pressOf(s);
    const handling = sendBot.handle(first);
    await wait(30);
    const second = pressOf(s);
    await Promise.all([handling, sendBot.handle(second)]);

    expect(await answerTo(first)).toBeUndefined();
    expect(await answerTo(second)).toBe('This was already done.');
    expect(await intentsOf(s.user)).toHaveLength(1);
    expect(queuedFor(s)).toEqual([`pay-${s.actionId}`]);
    expect(current(s.message).text).toBe('⏳ Signing: 2 XLM to @alice_confirm…');
  });

  it('records one payment when the two presses reach two bot instances at once', async () => {
    const s = await summary();
    const other = await startSendBot(world, telegram, { sessionPrefix: sendBot.sessionPrefix });
    try {
      const first = pressOf(s);
      const second = pressOf(s);
      await Promise.all([sendBot.handle(first), other.handle(second)]);
      const answers = [await answerTo(first), await answerTo(second)];
      expect(answers.filter((text) => text === undefined)).toHaveLength(1);
      expect(answers).toContain('This was already done.');
      expect(await intentsOf(s.user)).toHaveLength(1);
      expect([...queuedFor(s), ...other.executed]).toEqual([`pay-${s.actionId}`]);
    } finally {
      await other.close();
    }
  });
});

describe('a Confirm pressed by someone else', () => {
  it('is refused in the presser’s language and leaves the payment to its owner', async () => {
    const s = await summary();
    const mallory = { id: 990_777, first_name: 'Mallory', language_code: 'es' };
    const foreign = pressOf(s, { from: mallory });
    await sendBot.handle(foreign);
    expect(await answerTo(foreign)).toBe('Este botón no es para ti.');
    expect(await intentsOf(s.user)).toHaveLength(0);
    expect(current(s.message).text).toContain('Please check your payment');

    const own = pressOf(s);
    await sendBot.handle(own);
    expect(await answerTo(own)).toBeUndefined();
    expect(await intentsOf(s.user)).toHaveLength(1);
  });
});

describe('a Confirm pressed after expiry', () => {
  it('is refused and records nothing', async () => {
    const s = await summary();
    await world.prisma.pendingAction.update({
      where: { id: s.actionId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const late = pressOf(s);
    await sendBot.handle(late);
    expect(await answerTo(late)).toBe('This confirmation has expired. Start again with /send.');
    expect(await intentsOf(s.user)).toHaveLength(0);
    expect(queuedFor(s)).toEqual([]);
    expect(current(s.message).text).toContain('Please check your payment');
  });
});

describe('forged callback data', () => {
  it('refuses an id that was never issued, a malformed one and an unknown choice, recording nothing', async () => {
    const s = await summary();
    const forgeries = [
      `pa:${randomBytes(16).toString('base64url')}:ok`,
      'pa:short:ok',
      `pa:${s.actionId}:yes`,
      `pa:${s.actionId}:ok:extra`,
    ];
    for (const data of forgeries) {
      const press = pressOf(s, { data });
      await sendBot.handle(press);
      expect(await answerTo(press), data).toBe('This button is no longer valid.');
    }
    expect(await intentsOf(s.user)).toHaveLength(0);
    // None of them used the real action up: its owner can still confirm it.
    const own = pressOf(s);
    await sendBot.handle(own);
    expect(await answerTo(own)).toBeUndefined();
    expect(await intentsOf(s.user)).toHaveLength(1);
  });

  it('refuses a real id pressed from another message', async () => {
    const s = await summary();
    const elsewhere = await handleText(sendBot, s.from, '/help');
    const press = pressOf(s, { message: elsewhere });
    await sendBot.handle(press);
    expect(await answerTo(press)).toBe('This button is no longer valid.');
    expect(await intentsOf(s.user)).toHaveLength(0);
  });
});

describe('Cancel on the summary', () => {
  it('marks it cancelled, and a later Confirm does nothing', async () => {
    const s = await summary();
    const cancel = pressOf(s, { data: s.cancel });
    await sendBot.handle(cancel);
    expect(current(s.message).text).toBe('✖️ Cancelled: 2 XLM to @alice_confirm was not sent.');
    expect(current(s.message).replyMarkup).toBeUndefined();
    const confirm = pressOf(s);
    await sendBot.handle(confirm);
    expect(await answerTo(confirm)).toBe('This was already done.');
    expect(await intentsOf(s.user)).toHaveLength(0);
    expect(queuedFor(s)).toEqual([]);
  });
});

describe('the recorded payment', () => {
  it('carries the reviewed order, keyed by the single-use action', async () => {
    const s = await summary();
    const press = pressOf(s);
    await sendBot.handle(press);
    const [intent] = await intentsOf(s.user);
    expect(intent).toMatchObject({
      key: `pay-${s.actionId}`,
      kind: 'PAYMENT',
      status: 'PENDING',
      destination: alice.stellar!.publicKey(),
      recipientUserId: alice.record.id,
      assetCode: 'XLM',
      memoType: 'text',
      memo: 'rent',
      statusChatId: BigInt(s.from.id),
      statusMessageId: s.message.messageId,
    });
    expect(intent!.amountBase?.toFixed()).toBe('20000000');
    const action = await world.prisma.pendingAction.findUniqueOrThrow({ where: { id: s.actionId } });
    expect(action.usedAt).not.toBeNull();
  });
});
