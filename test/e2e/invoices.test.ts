import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from 'grammy';
import type { Chat, InlineKeyboardButton, Update } from 'grammy/types';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createPrismaClient, type PrismaClient } from '../../core/adapters/prisma-client.ts';
import { createInvoiceRepository } from '../../core/adapters/invoice-repository.ts';
import { QUEUE_NAMES } from '../../core/queues.ts';
import { refundStarsCharge } from '../../bot/features/stars.ts';
import type { SentMessage } from '../doubles/fake-bot-api.ts';
import { TEST_REDIS_URL } from '../support/database.ts';
import { eventually, startPlatform, type Platform } from './support/platform.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const DEEP_LINK = /^https:\/\/t\.me\/test_bot\?start=(inv_[A-Za-z0-9_-]{1,60})$/;

const paula = { id: 6001, first_name: 'Paula', language_code: 'en' };
const pablo = { id: 6002, first_name: 'Pablo', language_code: 'es' };
const sam = { id: 6003, first_name: 'Sam', language_code: 'en' };
const nadia = { id: 6004, first_name: 'Nadia', language_code: 'en' };
const group: Chat = { id: -4_000_000_777, type: 'group', title: 'Coffee club' };

let platform: Platform;
let prisma: PrismaClient;
let redis: Redis;

async function withActiveWallets(user: typeof paula): Promise<void> {
  platform.telegram.sendUserMessage({ from: user, text: '/wallet' });
  await eventually(async () => {
    const rows = await platform.query<{ status: string }>(
      `SELECT w.status FROM wallets w JOIN users u ON u.id = w.user_id
        WHERE u.telegram_id = $1 AND w.chain = 'STELLAR'`,
      [user.id],
    );
    return rows[0]?.status === 'ACTIVE';
  }, 30_000);
}

beforeAll(async () => {
  platform = await startPlatform();
  prisma = createPrismaClient(platform.databaseUrl);
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  await Promise.all([paula, pablo, sam].map(withActiveWallets));
});
afterAll(async () => {
  await redis?.quit();
  await prisma?.$disconnect();
  await platform?.stop();
});

const messagesIn = (chatId: number) => platform.telegram.sentMessages(chatId);
const textOf = (message: SentMessage) => message.text ?? message.caption ?? '';
const buttonsOf = (message: SentMessage) =>
  (message.replyMarkup?.inline_keyboard ?? []).flat() as (InlineKeyboardButton & {
    url?: string;
    callback_data?: string;
  })[];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `act`, then waits for the first message in `chatId` sent after it that matches. */
async function after(
  chatId: number,
  act: () => unknown,
  match: (message: SentMessage) => boolean,
): Promise<SentMessage> {
  const before = messagesIn(chatId).length;
  await act();
  return eventually(() => messagesIn(chatId).slice(before).find(match));
}

interface InvoiceRow {
  id: string;
  memo_id: string;
  status: string;
  amount_base: string;
  payee_address: string | null;
  expires_at: Date;
}
async function invoiceRow(slug: string): Promise<InvoiceRow> {
  const [row] = await platform.query<InvoiceRow>(
    'SELECT id, memo_id::text, status, amount_base::text, payee_address, expires_at FROM invoices WHERE slug = $1',
    [slug],
  );
  return row!;
}

/** `/request <text>` from `user` in `chat` (their private chat by default); resolves with the card. */
async function request(user: typeof paula, text: string, chat?: Chat) {
  const chatId = chat?.id ?? user.id;
  const card = await after(
    chatId,
    () =>
      platform.telegram.sendUserMessage({ from: user, text: `/request ${text}`, ...(chat ? { chat } : {}) }),
    (message) => message.photo !== undefined,
  );
  const pay = buttonsOf(card)[0]!;
  const payload = DEEP_LINK.exec(pay.url ?? '')?.[1];
  if (!payload) throw new Error(`not a deep link: ${pay.url}`);
  const slug = payload.slice('inv_'.length);
  return { card, deepLink: pay.url!, payload, slug, invoice: await invoiceRow(slug) };
}

/** The payer opens the Pay link; resolves with the summary carrying Confirm / Cancel. */
async function openForPayment(payer: typeof pablo, deepLink: string): Promise<SentMessage> {
  return after(
    payer.id,
    () => platform.telegram.openStartLink({ from: payer, url: deepLink }),
    (message) => buttonsOf(message).some((button) => button.callback_data?.endsWith(':ok')),
  );
}

function press(user: typeof paula, message: SentMessage, choice: string, force = false): Update {
  const data = buttonsOf(message).find((button) =>
    button.callback_data?.endsWith(`:${choice}`),
  )?.callback_data;
  if (!data) throw new Error(`no ${choice} button`);
  return platform.telegram.pressButton({
    from: user,
    message: { message_id: message.messageId, chat: { id: message.chatId } },
    data,
    force,
  });
}

const answerTo = (update: Update) => platform.telegram.waitForCallbackAnswer(update.callback_query!.id);

const intentsFor = (invoiceId: string) =>
  platform.query<{ key: string; memo_type: string; memo: string; destination: string; amount_base: string }>(
    'SELECT key, memo_type, memo, destination, amount_base::text FROM chain_intents WHERE invoice_id = $1',
    [invoiceId],
  );

describe('/request 10 XLM coffee beans', () => {
  it('creates an open invoice with a short slug and an expiry', async () => {
    const { slug, invoice } = await request(paula, '10 XLM coffee beans');
    expect(slug).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(invoice.status).toBe('OPEN');
    expect(invoice.amount_base).toBe('100000000');
    // INVOICE_TTL_MINUTES defaults to a day.
    expect(invoice.expires_at.getTime() - Date.now()).toBeGreaterThan(23 * 3_600_000);
  });

  it('answers with a QR card whose buttons Telegram accepts: Pay, Share, Other wallet, Cancel', async () => {
    const { card, deepLink, payload, slug, invoice } = await request(paula, '10 XLM coffee beans');
    expect(card.photoBytes?.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(card.caption).toContain('10 XLM');
    expect(card.caption).toContain('“coffee beans”');
    expect(card.caption).toContain(`Memo (ID): ${invoice.memo_id}`);
    expect(card.caption).toContain(invoice.payee_address!);
    expect(card.caption).toContain('Status: open');

    expect(payload).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    const [pay, share, otherWallet, cancel] = buttonsOf(card);
    expect(pay?.url).toBe(deepLink);
    expect(new URL(share!.url!).searchParams.get('url')).toBe(deepLink);
    expect(share!.url!.startsWith('https://t.me/share/url?')).toBe(true);
    expect(otherWallet!.url).toBe(`${platform.publicUrl}/i/${slug}`);
    expect(otherWallet!.url).toMatch(/^https?:\/\//);
    expect(Buffer.byteLength(cancel!.callback_data!)).toBeLessThanOrEqual(64);
    expect(cancel!.callback_data).toMatch(/^pa:[A-Za-z0-9_-]{22}:cancel$/);
  });

  it('links to a page that shows the QR code and redirects to the SEP-7 URI with the invoice memo', async () => {
    const { card, invoice } = await request(paula, '12.5 XLM beans & milk');
    const page = await fetch(buttonsOf(card)[2]!.url!);
    const html = await page.text();
    expect(page.status).toBe(200);
    const target = /<meta http-equiv="refresh" content="\d+;url=([^"]+)">/
      .exec(html)?.[1]
      ?.replace(/&amp;/g, '&');
    expect(target).toBe(
      `web+stellar:pay?destination=${invoice.payee_address}&amount=12.5&memo=${invoice.memo_id}&memo_type=MEMO_ID&msg=beans%20%26%20milk`,
    );
    expect(html).toContain('src="data:image/png;base64,');
  });

  it('explains the format when the request cannot be read, and stores nothing', async () => {
    const before = await prisma.invoice.count();
    const answer = await after(
      paula.id,
      () => platform.telegram.sendUserMessage({ from: paula, text: '/request coffee please' }),
      () => true,
    );
    expect(answer.text).toContain('Tell me the amount and the asset');
    expect(await prisma.invoice.count()).toBe(before);
  });
});

describe('paying an invoice from a platform wallet', () => {
  it('shows the payer a summary and records one payment to the payee with the invoice memo on Confirm', async () => {
    const { deepLink, invoice } = await request(paula, '1 XLM lunch');
    const summary = await openForPayment(pablo, deepLink);
    expect(summary.text).toContain('Vas a pagar una factura');
    for (const button of buttonsOf(summary))
      expect(Buffer.byteLength(button.callback_data ?? '')).toBeLessThanOrEqual(64);

    await answerTo(press(pablo, summary, 'ok'));
    const [intent] = await eventually(async () => {
      const rows = await intentsFor(invoice.id);
      return rows.length > 0 ? rows : undefined;
    });
    expect(intent).toMatchObject({
      memo_type: 'id',
      memo: invoice.memo_id,
      destination: invoice.payee_address,
      amount_base: '10000000',
    });
    expect(intent!.key).toMatch(/^pay-[A-Za-z0-9_-]{22}$/);
    // The payments worker and the Stellar watcher settle it from here (their own tests).
  });

  it('opens one confirmation when Pay is pressed twice 30 ms apart, and pays once when Confirm is', async () => {
    const { deepLink, invoice } = await request(paula, '2 XLM twice');
    const before = messagesIn(pablo.id).length;
    platform.telegram.openStartLink({ from: pablo, url: deepLink });
    await sleep(30);
    platform.telegram.openStartLink({ from: pablo, url: deepLink });
    const reminder = await eventually(() =>
      messagesIn(pablo.id)
        .slice(before)
        .find((message) => textOf(message).includes('Ya tienes una confirmación')),
    );
    const summaries = messagesIn(pablo.id)
      .slice(before)
      .filter((message) => buttonsOf(message).length > 0);
    expect(summaries).toHaveLength(1);
    expect(reminder.message.reply_to_message?.message_id).toBe(summaries[0]!.messageId);

    const first = press(pablo, summaries[0]!, 'ok');
    await sleep(30);
    const second = press(pablo, summaries[0]!, 'ok', true);
    await Promise.all([answerTo(first), answerTo(second)]);
    expect(await intentsFor(invoice.id)).toHaveLength(1);

    // A later Pay press finds the payment under way instead of opening another.
    const again = await after(
      pablo.id,
      () => platform.telegram.openStartLink({ from: pablo, url: deepLink }),
      () => true,
    );
    expect(again.text).toContain('ya está en marcha');
    expect(await intentsFor(invoice.id)).toHaveLength(1);
  });

  it('refuses a Confirm pressed by someone else, and forged callback data', async () => {
    const { deepLink, invoice } = await request(paula, '3 XLM strangers');
    const summary = await openForPayment(pablo, deepLink);
    const foreign = await answerTo(press(sam, summary, 'ok'));
    expect(foreign.text).toBeTruthy();
    const forged = platform.telegram.pressButton({
      from: pablo,
      message: { message_id: summary.messageId, chat: { id: pablo.id } },
      data: `pa:${'A'.repeat(22)}:ok`,
      force: true,
    });
    expect((await answerTo(forged)).text).toBeTruthy();
    await sleep(200);
    expect(await intentsFor(invoice.id)).toHaveLength(0);
    expect(messagesIn(pablo.id).find((message) => message.messageId === summary.messageId)?.edits).toBe(0);
  });

  it('refuses the payee paying their own invoice and shows them the card instead', async () => {
    const { deepLink } = await request(paula, '4 XLM mine');
    const answer = await after(
      paula.id,
      () => platform.telegram.openStartLink({ from: paula, url: deepLink }),
      (message) => textOf(message).includes('your own invoice'),
    );
    expect(answer.text).toContain('cannot pay it');
  });

  it('refuses an invoice that expired after the summary was shown, at Confirm and at the link', async () => {
    const { card, deepLink, invoice } = await request(paula, '5 XLM late');
    const summary = await openForPayment(pablo, deepLink);
    await platform.query("UPDATE invoices SET expires_at = now() - interval '1 second' WHERE id = $1", [
      invoice.id,
    ]);

    const answer = await answerTo(press(pablo, summary, 'ok'));
    expect(answer.showAlert).toBe(true);
    expect(answer.text).toContain('ha vencido');
    expect(await intentsFor(invoice.id)).toHaveLength(0);
    // The button is used up: a second press cannot revive it.
    expect((await answerTo(press(pablo, summary, 'ok', true))).text).not.toContain('vencido');
    expect(await intentsFor(invoice.id)).toHaveLength(0);

    const refusal = await after(
      pablo.id,
      () => platform.telegram.openStartLink({ from: pablo, url: deepLink }),
      () => true,
    );
    expect(refusal.text).toContain('ha vencido');
    // The payee's card now says so, without buttons.
    await eventually(() => {
      const current = messagesIn(paula.id).find((message) => message.messageId === card.messageId)!;
      return current.caption?.includes('Status: ⌛ expired') && buttonsOf(current).length === 0;
    });
  });

  it('refuses an invoice paid by someone else meanwhile', async () => {
    const { deepLink, invoice } = await request(paula, '6 XLM raced');
    const summary = await openForPayment(pablo, deepLink);
    await platform.query("UPDATE invoices SET status = 'PAID', paid_at = now() WHERE id = $1", [invoice.id]);
    expect((await answerTo(press(pablo, summary, 'ok'))).text).toContain('ya está pagada');
    expect(await intentsFor(invoice.id)).toHaveLength(0);
    const refusal = await after(
      pablo.id,
      () => platform.telegram.openStartLink({ from: pablo, url: deepLink }),
      () => true,
    );
    expect(refusal.text).toContain('ya está pagada');
  });
});

describe('an invoice card in a group', () => {
  it('can be cancelled by its payee only, once, and then refuses payment', async () => {
    const { card, deepLink, invoice } = await request(paula, '7 XLM gift', group);
    const stranger = await answerTo(press(sam, card, 'cancel'));
    expect(stranger.text).toContain('Only the person who asked');
    expect((await prisma.invoice.findUnique({ where: { id: invoice.id } }))!.status).toBe('OPEN');

    const payee = await answerTo(press(paula, card, 'cancel'));
    expect(payee.text).toContain('cancelled');
    const current = await eventually(() => {
      const message = messagesIn(group.id).find((candidate) => candidate.messageId === card.messageId)!;
      return message.caption?.includes('Status: ✖️ cancelled') ? message : undefined;
    });
    expect(buttonsOf(current)).toHaveLength(0);
    expect((await prisma.invoice.findUnique({ where: { id: invoice.id } }))!.status).toBe('CANCELLED');

    const refusal = await after(
      pablo.id,
      () => platform.telegram.openStartLink({ from: pablo, url: deepLink }),
      () => true,
    );
    expect(refusal.text).toContain('canceló la factura');
  });
});

describe('Telegram Stars', () => {
  const notificationJobsFor = async (invoiceId: string) => {
    const queue = new Queue(QUEUE_NAMES.notifications, { connection: redis, prefix: platform.queuePrefix });
    try {
      const jobs = await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']);
      return jobs.filter((job) => job.data?.kind === 'invoice-paid' && job.data?.invoiceId === invoiceId);
    } finally {
      await queue.close();
    }
  };
  let chargeId: string;

  it('answers pre-checkout at once and credits the payment once, however often it is delivered', async () => {
    const { card, deepLink, invoice } = await request(paula, '50 XTR tip');
    expect(buttonsOf(card).map((button) => button.text)).toEqual(['💳 Pay', '↗️ Share', '✖️ Cancel invoice']);

    const invoiceMessage = await after(
      pablo.id,
      () => platform.telegram.openStartLink({ from: pablo, url: deepLink }),
      (message) => message.invoice !== undefined,
    );
    expect(invoiceMessage.invoice).toMatchObject({ currency: 'XTR', total_amount: 50, description: 'tip' });

    const outcome = await platform.telegram.payInvoice({
      from: pablo,
      message: { message_id: invoiceMessage.messageId, chat: { id: pablo.id } },
    });
    expect(outcome.status).toBe('paid');
    expect(outcome.answer?.ok).toBe(true);
    expect(outcome.answer!.answeredAfterMs).toBeLessThan(2_000);
    chargeId = outcome.chargeId!;

    await eventually(() => messagesIn(pablo.id).some((message) => textOf(message).includes('¡Gracias!')));
    platform.telegram.redeliverPayment(chargeId);
    platform.telegram.redeliverPayment(chargeId, { sameUpdate: true });
    await eventually(
      () =>
        platform.logLines.filter((line) => line.includes(chargeId) && line.includes('"outcome":"duplicate"'))
          .length === 1,
    );
    await eventually(
      () => platform.logLines.filter((line) => line.includes('duplicate update ignored')).length > 0,
    );

    expect(await prisma.starPayment.count({ where: { invoiceId: invoice.id } })).toBe(1);
    expect(await prisma.invoice.findUnique({ where: { id: invoice.id } })).toMatchObject({
      status: 'PAID',
      settlementRef: chargeId,
    });
    expect(messagesIn(pablo.id).filter((message) => textOf(message).includes('¡Gracias!'))).toHaveLength(1);
    // The payee is told once, by the worker, in their language.
    expect(await notificationJobsFor(invoice.id)).toHaveLength(1);
    await eventually(() => {
      const current = messagesIn(paula.id).find((message) => message.messageId === card.messageId)!;
      return current.caption?.includes('Status: ✅ paid') && buttonsOf(current).length === 0;
    });

    const late = await after(
      sam.id,
      () => platform.telegram.openStartLink({ from: sam, url: deepLink }),
      () => true,
    );
    expect(late.text).toContain('already been paid');
  });

  it('refunds a charge through Telegram once', async () => {
    const api = new Api(platform.telegram.token, { apiRoot: platform.telegram.url });
    const invoices = createInvoiceRepository(prisma);
    expect(await refundStarsCharge(api, invoices, chargeId)).toBe('refunded');
    expect(await refundStarsCharge(api, invoices, chargeId)).toBe('already-refunded');
    expect(platform.telegram.charges().find((charge) => charge.chargeId === chargeId)?.refunded).toBe(true);
    expect((await prisma.starPayment.findUnique({ where: { chargeId } }))?.status).toBe('REFUNDED');
    // Telegram's refunded_payment notice is taken quietly, not answered as an unknown message.
    await eventually(() => platform.logLines.some((line) => line.includes('stars refund noticed')));
    expect(messagesIn(pablo.id).filter((message) => textOf(message).includes('No entendí'))).toHaveLength(0);
  });
});

describe('inline mode', () => {
  const ask = async (from: typeof paula, query: string) => {
    const update = platform.telegram.sendInlineQuery({ from, query, chat_type: 'group' });
    const answer = await platform.telegram.waitForInlineAnswer(update.inline_query!.id);
    return { update, answer };
  };

  it('offers the invoice card for `10 XLM coffee`, reusing one invoice while the user types', async () => {
    const first = await ask(paula, '10 XLM coffee');
    const second = await ask(paula, '10  xlm coffee');
    expect(first.answer.isPersonal).toBe(true);
    expect(first.answer.cacheTime).toBeLessThanOrEqual(10);
    const [result] = first.answer.results;
    expect(result?.type).toBe('article');
    expect(second.answer.results[0]?.id).toBe(result?.id);
    expect(await prisma.invoice.count({ where: { description: 'coffee' } })).toBe(1);

    expect(result?.content.kind).toBe('text');
    const text = result?.content.kind === 'text' ? result.content.text : '';
    expect(text).toContain('10 XLM');
    const pay = (result?.replyMarkup?.inline_keyboard.flat()[0] ?? {}) as { url?: string };
    expect(pay.url).toMatch(DEEP_LINK);
    expect(text).toContain(pay.url);

    // Sent into a chat: with inline feedback, the next card for the same text is a new invoice.
    const sent = platform.telegram.chooseInlineResult({
      query: first.update,
      resultId: result!.id,
      feedback: true,
    });
    expect(sent.message.text).toContain('10 XLM');
    await eventually(() => platform.logLines.some((line) => line.includes('inline invoice sent')));
    const third = await ask(paula, '10 XLM coffee');
    expect(third.answer.results[0]?.id).not.toBe(result?.id);
    expect(await prisma.invoice.count({ where: { description: 'coffee' } })).toBe(2);
  });

  it('explains the format for text that is not a request yet', async () => {
    const { answer } = await ask(paula, 'hello');
    expect(answer.results.map((candidate) => candidate.id)).toEqual(['help']);
  });

  it('tells a user without a wallet to start the bot', async () => {
    const { answer } = await ask(nadia, '10 XLM coffee');
    expect(answer.results.map((candidate) => candidate.id)).toEqual(['no-wallet']);
    expect(answer.button).toMatchObject({ start_parameter: 'inline' });
  });

  it('offers a Stars invoice payable in place, refused to its own payee', async () => {
    const { update, answer } = await ask(paula, '5 XTR thanks');
    const [result] = answer.results;
    expect(result?.content.kind).toBe('invoice');
    const sent = platform.telegram.chooseInlineResult({ query: update, resultId: result!.id, chat: group });
    const own = await platform.telegram.payInvoice({ from: paula, inlineMessageId: sent.inlineMessageId! });
    expect(own.status).toBe('declined');
    expect(own.answer?.errorMessage).toBe('You cannot pay your own invoice.');
    const paid = await platform.telegram.payInvoice({ from: sam, inlineMessageId: sent.inlineMessageId! });
    expect(paid.status).toBe('paid');
    await eventually(() => messagesIn(sam.id).some((message) => textOf(message).includes('Thank you!')));
  });
});
