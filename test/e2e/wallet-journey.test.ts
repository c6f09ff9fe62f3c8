import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startPlatform, type Platform } from './support/platform.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
});

const textsTo = (chatId: number) =>
  platform.telegram
    .sentMessages(chatId)
    .map((message) => message.text ?? message.caption ?? '')
    .filter(Boolean);

const waitForText = (chatId: number, fragment: string) =>
  eventually(() =>
    platform.telegram.sentMessages(chatId).find((m) => (m.text ?? m.caption ?? '').includes(fragment)),
  );

const waitForPhoto = (chatId: number, fragment: string) =>
  eventually(() =>
    platform.telegram.sentMessages(chatId).find((m) => m.photo && (m.caption ?? '').includes(fragment)),
  );

describe('a new user from /start to an active wallet', () => {
  const ana = { id: 5001, first_name: 'Ana', language_code: 'es' };

  it('is greeted in their Telegram language with buttons for the others', async () => {
    platform.telegram.sendUserMessage({ from: ana, text: '/start' });
    const greeting = await waitForText(ana.id, '¡Hola, Ana!');
    const labels = (greeting.replyMarkup?.inline_keyboard as { text: string }[][])
      .flat()
      .map((button) => button.text);
    expect(labels).toEqual(['English', 'Español']);
  });

  it('switches to the language picked with a button', async () => {
    const greeting = await waitForText(ana.id, '¡Hola, Ana!');
    platform.telegram.pressButton({
      from: ana,
      message: { message_id: greeting.messageId, chat: { id: ana.id } },
      data: 'language:en',
    });
    await waitForText(ana.id, 'I will speak English with you');
    const [user] = await platform.query<{ language_code: string }>(
      'SELECT language_code FROM users WHERE telegram_id = $1',
      [ana.id],
    );
    expect(user?.language_code).toBe('en');
    const menu = await eventually(() =>
      platform.telegram.commands({ scope: { type: 'chat', chat_id: ana.id } }),
    );
    expect(menu.map((command) => command.description)).toContain('Your wallets and balances');
  });

  it('creates both wallets on the first /wallet and shows them with QR codes', async () => {
    platform.telegram.sendUserMessage({ from: ana, text: '/wallet' });
    await waitForText(ana.id, 'Creating your wallets');
    const stellarCard = await waitForPhoto(ana.id, 'Stellar wallet');
    const evmCard = await waitForPhoto(ana.id, 'EVM wallet');
    await waitForText(ana.id, 'Your wallets are ready');

    const wallets = await platform.query<{ chain: string; address: string }>(
      'SELECT w.chain, w.address FROM wallets w JOIN users u ON u.id = w.user_id WHERE u.telegram_id = $1 ORDER BY chain',
      [ana.id],
    );
    const stellar = wallets.find((wallet) => wallet.chain === 'STELLAR')!;
    const evm = wallets.find((wallet) => wallet.chain === 'EVM')!;
    expect(stellar.address).toMatch(/^G[A-Z2-7]{55}$/);
    expect(evm.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(stellarCard.caption).toContain(stellar.address);
    expect(evmCard.caption).toContain(evm.address);
    for (const card of [stellarCard, evmCard]) {
      expect(card.photoBytes?.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    }
  });

  it('activates the Stellar account in the background and says so', async () => {
    await waitForText(ana.id, 'Your Stellar account is active');
    const [wallet] = await platform.query<{ address: string; status: string }>(
      "SELECT w.address, w.status FROM wallets w JOIN users u ON u.id = w.user_id WHERE u.telegram_id = $1 AND chain = 'STELLAR'",
      [ana.id],
    );
    expect(wallet?.status).toBe('ACTIVE');
    expect(platform.horizon.account(wallet!.address)).toBeDefined();
  });

  it('shows live balances on the next /wallet', async () => {
    const before = platform.telegram.sentMessages(ana.id).length;
    platform.telegram.sendUserMessage({ from: ana, text: '/wallet' });
    const cards = await eventually(() => {
      const fresh = platform.telegram
        .sentMessages(ana.id)
        .slice(before)
        .filter((m) => m.photo);
      return fresh.length === 2 ? fresh : undefined;
    });
    expect(cards[0]!.caption).toContain('XLM: 10000');
    expect(cards[1]!.caption).toContain('ETH: 0');
    expect(
      await platform.query(
        'SELECT 1 FROM wallets w JOIN users u ON u.id = w.user_id WHERE u.telegram_id = $1',
        [ana.id],
      ),
    ).toHaveLength(2);
  });

  it('lists the commands on /help and answers anything else with a hint', async () => {
    platform.telegram.sendUserMessage({ from: ana, text: '/help' });
    await waitForText(ana.id, 'What I can do');
    platform.telegram.sendUserMessage({ from: ana, text: 'what is this?' });
    await waitForText(ana.id, 'I did not understand that');
  });

  it('published a command menu per language at start-up', () => {
    expect(platform.telegram.commands({ languageCode: 'es' })?.map((c) => c.command)).toEqual([
      'wallet',
      'send',
      'request',
      'language',
      'help',
      'start',
    ]);
    expect(platform.telegram.commands({ languageCode: 'es' })?.[0]?.description).toBe(
      'Tus billeteras y saldos',
    );
    expect(platform.telegram.commands()?.[0]?.description).toBe('Your wallets and balances');
  });
});

describe('when /wallet arrives twice at once and one update is delivered twice', () => {
  const ben = { id: 5002, first_name: 'Ben', language_code: 'de' };

  it('creates exactly one set of wallets and handles the redelivered update once', async () => {
    const first = platform.telegram.sendUserMessage({ from: ben, text: '/wallet' });
    platform.telegram.sendUserMessage({ from: ben, text: '/wallet' });
    platform.telegram.pushUpdate(structuredClone(first));
    await waitForText(ben.id, 'Your Stellar account is active');

    const wallets = await platform.query<{ chain: string }>(
      'SELECT chain FROM wallets w JOIN users u ON u.id = w.user_id WHERE u.telegram_id = $1',
      [ben.id],
    );
    expect(wallets.map((wallet) => wallet.chain).sort()).toEqual(['EVM', 'STELLAR']);
    const keys = await platform.query('SELECT 1 FROM signer.keys WHERE ref LIKE $1', [`wallet:%`]);
    const users = await platform.query('SELECT 1 FROM users');
    expect(keys).toHaveLength(2 * users.length);
    expect(
      platform.logLines.some((line) =>
        line.includes(`"updateId":${first.update_id},"msg":"duplicate update ignored"`),
      ),
    ).toBe(true);
    // The second /wallet either finds the wallets being made or already made; never a second set.
    const creating = textsTo(ben.id).filter((text) => text.includes('Creating your wallets')).length;
    expect(creating === 1 || creating === 2).toBe(true);
    expect(platform.telegram.sentMessages(ben.id).filter((m) => m.photo).length).toBe(creating === 2 ? 2 : 4);
    expect(textsTo(ben.id).filter((text) => text.includes('Your wallets are ready'))).toHaveLength(1);
    expect(textsTo(ben.id).filter((text) => text.includes('Stellar account is active'))).toHaveLength(1);
  });
});

describe('the logs of the whole run', () => {
  it('contain none of the generated secrets and no private key', async () => {
    const processes = new Set(platform.logLines.map((line) => (JSON.parse(line) as { name: string }).name));
    expect([...processes].sort()).toEqual(['bot', 'signer', 'worker']);
    const everything = platform.logLines.join('\n');
    for (const [name, value] of Object.entries(platform.secrets)) {
      expect(everything.includes(value), `${name} leaked into a log line`).toBe(false);
    }
    expect(everything).not.toMatch(/\bS[A-Z2-7]{55}\b/);
  });
});
