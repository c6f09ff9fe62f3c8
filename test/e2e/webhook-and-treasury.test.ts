import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignerClient } from '../../core/adapters/signer-client.ts';
import { TREASURY_KEY_REF } from '../../core/domain/intent-keys.ts';
import { eventually, startPlatform, type Platform } from './support/platform.ts';

let platform: Platform;
let treasury: string;
const TREASURY_XLM = 1000n * 10_000_000n;

beforeAll(async () => {
  platform = await startPlatform({ mode: 'webhook', friendbot: false });
  // The operator's part: learn the treasury address from the key service and fund it.
  const keys = createSignerClient({
    url: platform.signerUrl,
    authSecret: platform.secrets.SIGNER_AUTH_SECRET!,
  });
  treasury = (await keys.createKey({ chain: 'stellar', ref: TREASURY_KEY_REF })).address;
  platform.horizon.createAccount(treasury, '1000');
});
afterAll(async () => {
  await platform?.stop();
});

const webhookUrl = () => `http://127.0.0.1:${platform.botPort}${platform.webhookPath}`;
const anUpdate = (updateId: number) => ({
  update_id: updateId,
  message: {
    message_id: 1,
    date: Math.floor(Date.now() / 1000),
    chat: { id: 7001, type: 'private', first_name: 'Eve' },
    from: { id: 7001, is_bot: false, first_name: 'Eve' },
    text: '/help',
    entities: [{ type: 'bot_command', offset: 0, length: 5 }],
  },
});

describe('the webhook', () => {
  it.each([
    ['a wrong secret', { 'x-telegram-bot-api-secret-token': 'not-the-secret-at-all' }],
    ['no secret', {}],
  ])('answers 401 to %s and runs no handler', async (_case, headers) => {
    const updateId = 424242 + Object.keys(headers).length;
    const response = await fetch(webhookUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(anUpdate(updateId)),
    });
    expect(response.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(
      await platform.query('SELECT 1 FROM processed_updates WHERE update_id = $1', [updateId]),
    ).toHaveLength(0);
    expect(platform.telegram.sentMessages(7001)).toHaveLength(0);
  });

  it('delivers Telegram updates that carry the secret', async () => {
    const update = platform.telegram.sendUserMessage({
      from: { id: 7002, first_name: 'Zoe' },
      text: '/help',
    });
    await eventually(() =>
      platform.telegram.sentMessages(7002).find((m) => m.text?.includes('What I can do')),
    );
    // The delivery is recorded when the bot's answer to the POST arrives, after the reply was sent.
    const delivery = await eventually(() =>
      platform.telegram.webhookDeliveries().find((d) => d.updateId === update.update_id),
    );
    expect(delivery).toMatchObject({ status: 200, delivered: true, attempt: 1 });
  });

  it('serves health and readiness', async () => {
    const base = `http://127.0.0.1:${platform.botPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ ok: true });
  });
});

describe('activation on a network without friendbot', () => {
  const zoe = { id: 7002, first_name: 'Zoe', language_code: 'en' };

  it('creates the account from the treasury with exactly the configured amount, once', async () => {
    platform.telegram.sendUserMessage({ from: zoe, text: '/wallet' });
    await eventually(() =>
      platform.telegram.sentMessages(zoe.id).find((m) => m.text?.includes('Stellar account is active')),
    );

    const [wallet] = await platform.query<{ id: string; address: string }>(
      "SELECT w.id, w.address FROM wallets w JOIN users u ON u.id = w.user_id WHERE u.telegram_id = $1 AND chain = 'STELLAR'",
      [zoe.id],
    );
    expect(platform.horizon.account(wallet!.address)?.balance).toBe(2n * 10_000_000n);
    // 2 XLM sent plus one operation's base fee of 100 stroops, and nothing else.
    expect(platform.horizon.account(treasury)?.balance).toBe(TREASURY_XLM - 2n * 10_000_000n - 100n);

    const [intent] = await platform.query<{
      status: string;
      envelope: string;
      tx_hash: string;
      amount_base: string;
    }>('SELECT status, envelope, tx_hash, amount_base FROM chain_intents WHERE key = $1', [
      `activate-${wallet!.id}`,
    ]);
    expect(intent).toMatchObject({ status: 'CONFIRMED', amount_base: '20000000' });
    expect(intent!.envelope).toBeTruthy();
    const audits = await platform.query<{ decision: string }>(
      "SELECT decision FROM signer.audit WHERE action = 'sign_stellar'",
    );
    expect(audits.map((audit) => audit.decision)).toEqual(['signed']);
  });
});
