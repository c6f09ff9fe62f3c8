import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '../../core/adapters/prisma-client.ts';
import { createUserRepository } from '../../core/adapters/user-repository.ts';
import type { UserRepository } from '../../core/ports.ts';
import { startFakeBotApi, type FakeBotApi } from '../doubles/fake-bot-api.ts';
import { createTestDatabase } from '../support/database.ts';
import { startSendBot, startSendWorld, type SendBot, type SendWorld } from './send-harness.ts';

describe('the username directory', () => {
  let prisma: PrismaClient;
  let users: UserRepository;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase('sendnames');
    drop = database.drop;
    prisma = createPrismaClient(database.url);
    users = createUserRepository(prisma);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await drop?.();
  });

  it('stores the name lower-cased and finds its owner in any case', async () => {
    const user = await users.ensure(101n, 'en');
    await users.rememberUsername(101n, 'Carla_M', 'en');
    expect(await users.findByUsername('carla_m')).toEqual(user);
    expect(await users.findByUsername('CARLA_M')).toEqual(user);
    expect(await users.findByUsername('carla')).toBeNull();
  });

  it('moves a name to whoever was seen with it last', async () => {
    const first = await users.ensure(201n, 'en');
    const second = await users.ensure(202n, 'es');
    await users.rememberUsername(201n, 'shared_name', null);
    expect((await users.findByUsername('shared_name'))?.id).toBe(first.id);
    await users.rememberUsername(202n, 'Shared_Name', null);
    expect((await users.findByUsername('shared_name'))?.id).toBe(second.id);
    const rows = await prisma.user.findMany({ where: { username: 'shared_name' } });
    expect(rows.map((row) => row.id)).toEqual([second.id]);
  });

  it('frees the old name on a rename and forgets it when the user drops their username', async () => {
    await users.ensure(301n, 'en');
    await users.rememberUsername(301n, 'old_handle', null);
    await users.rememberUsername(301n, 'new_handle', null);
    expect(await users.findByUsername('old_handle')).toBeNull();
    expect((await users.findByUsername('new_handle'))?.telegramId).toBe(301n);
    await users.rememberUsername(301n, null, null);
    expect(await users.findByUsername('new_handle')).toBeNull();
  });

  it('creates a user seen for the first time, and keeps an existing user’s language', async () => {
    await users.rememberUsername(401n, 'first_contact', 'es');
    expect(await users.findByUsername('first_contact')).toMatchObject({
      telegramId: 401n,
      languageCode: 'es',
    });
    await users.rememberUsername(401n, 'first_contact_2', 'en');
    expect((await users.findByTelegramId(401n))?.languageCode).toBe('es');
  });
});

describe('remembering usernames as updates arrive', () => {
  let world: SendWorld;
  let telegram: FakeBotApi;
  let sendBot: SendBot;
  const writes: (string | null)[] = [];

  beforeAll(async () => {
    world = await startSendWorld('sendnamesbot');
    telegram = await startFakeBotApi();
    sendBot = await startSendBot(world, telegram);
    const users = world.users;
    sendBot.deps.users = {
      ...users,
      rememberUsername: async (telegramId, username, language) => {
        writes.push(username);
        await users.rememberUsername(telegramId, username, language);
      },
    };
  });
  afterAll(async () => {
    await sendBot?.close();
    await telegram?.close();
    await world?.close();
  });

  it('writes once per name, not once per update, and follows a rename', async () => {
    const dana = { id: 880_001, first_name: 'Dana', username: 'Dana_Pays', language_code: 'en' };
    for (let i = 0; i < 3; i++) await sendBot.handle(telegram.sendUserMessage({ from: dana, text: '/help' }));
    expect(writes).toEqual(['dana_pays']);
    expect((await world.users.findByUsername('dana_pays'))?.telegramId).toBe(880_001n);

    await sendBot.handle(
      telegram.sendUserMessage({ from: { ...dana, username: 'dana_new' }, text: '/help' }),
    );
    await sendBot.handle(
      telegram.sendUserMessage({ from: { ...dana, username: 'dana_new' }, text: '/help' }),
    );
    expect(writes).toEqual(['dana_pays', 'dana_new']);
    expect(await world.users.findByUsername('dana_pays')).toBeNull();
    expect((await world.users.findByUsername('dana_new'))?.telegramId).toBe(880_001n);
  });

  it('lets a user be paid by name as soon as they are seen', async () => {
    const erin = { id: 880_002, first_name: 'Erin', username: 'erin_here', language_code: 'es' };
    await sendBot.handle(telegram.sendUserMessage({ from: erin, text: 'hola' }));
    expect(await world.users.findByUsername('erin_here')).toMatchObject({
      telegramId: 880_002n,
      languageCode: 'es',
    });
  });
});
