import type { BotContext } from '../context.ts';
import { FlatComposer } from '../middlewares/flat-composer.ts';

/** `/help`: the list of commands. */
export const helpFeature = new FlatComposer<BotContext>();
helpFeature.chatType('private').command('help', (ctx) => ctx.reply(ctx.t('help'), { parse_mode: 'HTML' }));
