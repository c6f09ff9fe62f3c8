import { InputFile } from 'grammy';
import type { BotContext } from '../context.ts';
import { FlatComposer } from '../middlewares/flat-composer.ts';
import { describeWallets } from '../../core/services/wallet-overview.ts';
import { renderWalletCard } from '../../core/services/wallet-card.ts';

const WALLETS_PER_USER = 2;

/**
 * `/wallet`: the first time, queues the wallets' creation (the worker talks to the key service and
 * sends the card); afterwards, shows both wallets with QR codes and live balances.
 */
export const walletFeature = new FlatComposer<BotContext>();
walletFeature.chatType('private').command('wallet', async (ctx) => {
  const { users, wallets, jobs } = ctx.deps;
  const user = await users.ensure(BigInt(ctx.from.id), await ctx.i18n.getLocale());
  if ((await wallets.listByUser(user.id)).length < WALLETS_PER_USER) {
    await jobs.provisionWallets({ userId: user.id });
    await ctx.reply(ctx.t('wallet-creating'));
    return;
  }
  await ctx.replyWithChatAction('upload_photo');
  const views = await describeWallets(user.id, {
    ...ctx.deps,
    onChainError: (error, wallet) =>
      ctx.log.warn({ err: error, chain: wallet.chain }, 'balance lookup failed'),
  });
  const photos = await renderWalletCard(views, { evmChainId: ctx.deps.evmChainId, t: ctx.t });
  for (const photo of photos) {
    await ctx.replyWithPhoto(new InputFile(photo.qrPng, `${photo.chain.toLowerCase()}-address.png`), {
      caption: photo.caption,
      parse_mode: 'HTML',
    });
  }
});
