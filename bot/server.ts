import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { webhookCallback, type Bot } from 'grammy';
import type { Logger } from '../core/logger.ts';
import type { BotContext } from './context.ts';

/** Options of {@link createBotServer}. */
export interface BotServerOptions {
  bot: Bot<BotContext>;
  logger: Logger;
  /** Present in webhook mode: the path Telegram posts to and the secret it must echo. */
  webhook?: { path: string; secret: string };
  /** True when Postgres and Redis answer. */
  isReady: () => Promise<boolean>;
  /** Serves `GET /i/<slug>`, the public invoice page (bot/invoice-page.ts). */
  invoicePage?: (slug: string, req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

function secretMatches(received: string | string[] | undefined, expected: string): boolean {
  if (typeof received !== 'string') return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The bot's HTTP server: Telegram's webhook (refused with 401 unless the secret header matches,
 * before any handler runs), `/healthz` (the process is up), `/readyz` (its stores answer) and the
 * public invoice pages `/i/<slug>`.
 */
export function createBotServer(options: BotServerOptions): Server {
  const { bot, logger, webhook } = options;
  // Handlers only enqueue slow work, so 9 s is ample; past it, answer Telegram and let the update finish.
  const handleUpdate = webhook
    ? webhookCallback(bot, 'http', {
        secretToken: webhook.secret,
        onTimeout: 'return',
        timeoutMilliseconds: 9_000,
      })
    : undefined;

  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };

    if (req.method === 'GET' && path === '/healthz') return reply(200, { ok: true });
    if (req.method === 'GET' && path === '/readyz') {
      options
        .isReady()
        .then((ready) => reply(ready ? 200 : 503, { ok: ready }))
        .catch(() => reply(503, { ok: false }));
      return;
    }
    const invoiceSlug = path?.startsWith('/i/') ? path.slice(3) : undefined;
    if (options.invoicePage && invoiceSlug !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      void options.invoicePage(invoiceSlug, req, res);
      return;
    }
    if (webhook && handleUpdate && path === webhook.path) {
      if (req.method !== 'POST') return reply(405, { ok: false });
      if (!secretMatches(req.headers['x-telegram-bot-api-secret-token'], webhook.secret)) {
        logger.warn({ remote: req.socket.remoteAddress }, 'webhook call with a wrong secret refused');
        return reply(401, { ok: false });
      }
      handleUpdate(req, res).catch((error: unknown) => {
        logger.error({ err: error }, 'webhook update failed');
        if (!res.headersSent) reply(500, { ok: false });
      });
      return;
    }
    reply(404, { ok: false });
  });
}
