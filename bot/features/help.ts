import { Composer } from 'grammy';
import type { BotContext } from '../context.ts';

/** `/help`: the list of commands. */
export const helpFeature = new Composer<BotContext>();
helpFeature.chatType('private').command('help', (ctx) => ctx.reply(ctx.t('help'), { parse_mode: 'HTML' }));
