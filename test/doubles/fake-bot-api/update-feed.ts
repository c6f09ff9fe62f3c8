import type { Update, WebhookInfo } from 'grammy/types';
import { conflict } from './errors.ts';
import type { Params } from './recorder.ts';

/** Where and how updates are pushed while a webhook is set. */
export interface WebhookSettings {
  url: string;
  secretToken: string | undefined;
  maxConnections: number;
}

/** One POST of one update to the webhook. */
export interface WebhookDelivery {
  updateId: number;
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number;
  time: number;
  /** HTTP status of the answer; absent when the request failed (refused, timed out). */
  status?: number;
  error?: string;
  delivered: boolean;
}

/** How the feed reaches a webhook and what it does with a webhook reply. */
export interface UpdateFeedOptions {
  /** Pause before each retry of a failed webhook POST; the update is dropped after the last. */
  retryDelaysMs: number[];
  requestTimeoutMs: number;
  /** Runs a method returned in a webhook response body, as Telegram does for webhook replies. */
  onWebhookReply: (method: string, params: Params) => Promise<void>;
}

/** What getUpdates asks for. Telegram clamps `limit` to 1–100 and treats `timeout` as seconds. */
export interface PollRequest {
  offset: number;
  limit: number;
  timeoutSeconds: number;
  allowedUpdates: string[] | undefined;
}

/** Without an `allowed_updates` setting, Telegram sends every update type but these. */
const OPT_IN_TYPES = ['chat_member', 'message_reaction', 'message_reaction_count'];

interface Entry {
  update: Update;
  /** A copy of an update the bot already received: deliver it once despite the offset. */
  redelivery: boolean;
}

interface Poller {
  offset: number;
  limit: number;
  finish: (updates: Update[] | Error) => void;
}

/**
 * The bot's pending updates and the two ways out of them, as on Telegram's side: long polling,
 * where an update stays until a `getUpdates` offset above its id confirms it, and a webhook, to
 * which updates are POSTed one at a time, in order, retried on failure (at-least-once).
 */
export class UpdateFeed {
  #queue: Entry[] = [];
  #allowedUpdates: string[] | undefined;
  /** Updates below this id were confirmed by an offset. */
  #confirmedBelow = 0;
  /** The highest update id a poll has returned; an offset may confirm it any moment now. */
  #highestReturned = 0;
  #poller: Poller | undefined;
  #webhook: WebhookSettings | undefined;
  #lastError: { date: number; message: string } | undefined;
  #deliveries: WebhookDelivery[] = [];
  #pumping = false;
  #closed = false;
  readonly #shutdown = new AbortController();

  constructor(private readonly options: UpdateFeedOptions) {}

  /**
   * Queues an update; returns false when the current `allowed_updates` excludes its type (Telegram
   * never creates those). An update with an id the bot already received is delivered once more,
   * even past the offset that confirms the original: that is how a test replays a duplicate.
   */
  push(update: Update): boolean {
    if (!this.#accepts(updateType(update))) return false;
    // A copy of an update the bot already has must survive the offset that confirms the original.
    const seen = update.update_id < this.#confirmedBelow || update.update_id <= this.#highestReturned;
    const entry: Entry = { update, redelivery: seen };
    const index = this.#queue.findIndex((queued) => queued.update.update_id > update.update_id);
    this.#queue.splice(index === -1 ? this.#queue.length : index, 0, entry);
    this.#servePoller();
    void this.#pump();
    return true;
  }

  /**
   * Answers `getUpdates`: confirms everything below `offset`, then returns what is pending, or
   * holds the request until an update arrives, the timeout passes, the client goes away or the
   * fake closes. A newer poll ends an older one with 409, as Telegram does.
   */
  async poll(request: PollRequest, clientGone: AbortSignal): Promise<Update[]> {
    if (this.#webhook) {
      throw conflict(
        "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    if (request.allowedUpdates !== undefined) {
      this.#allowedUpdates = request.allowedUpdates.length > 0 ? request.allowedUpdates : undefined;
    }
    let offset = request.offset;
    if (offset > 0) {
      this.#queue = this.#queue.filter((entry) => entry.update.update_id >= offset || entry.redelivery);
      this.#confirmedBelow = Math.max(this.#confirmedBelow, offset);
    } else if (offset < 0) {
      // A negative offset keeps only the last -offset updates; the rest are forgotten.
      this.#queue = this.#queue.slice(offset);
      offset = 0;
    }
    this.#poller?.finish(
      conflict('terminated by other getUpdates request; make sure that only one bot instance is running'),
    );

    const ready = this.#take(offset, request.limit);
    if (ready.length > 0 || request.timeoutSeconds <= 0 || this.#closed || clientGone.aborted) return ready;

    const result = await new Promise<Update[] | Error>((resolve) => {
      const finish = (outcome: Update[] | Error): void => {
        clearTimeout(timer);
        clientGone.removeEventListener('abort', gone);
        if (this.#poller === poller) this.#poller = undefined;
        resolve(outcome);
      };
      const gone = (): void => finish([]);
      const timer = setTimeout(() => finish([]), request.timeoutSeconds * 1000);
      const poller: Poller = { offset, limit: request.limit, finish };
      clientGone.addEventListener('abort', gone);
      this.#poller = poller;
    });
    if (result instanceof Error) throw result;
    return result;
  }

  /** `setWebhook`: from now on updates are POSTed; a held poll ends with 409. */
  setWebhook(settings: WebhookSettings, allowedUpdates: string[] | undefined, dropPending: boolean): void {
    if (dropPending) this.#queue = [];
    if (allowedUpdates !== undefined)
      this.#allowedUpdates = allowedUpdates.length > 0 ? allowedUpdates : undefined;
    if (this.#webhook?.url !== settings.url) this.#lastError = undefined;
    this.#webhook = settings;
    this.#poller?.finish(conflict('terminated by setWebhook request'));
    void this.#pump();
  }

  /** `deleteWebhook`: back to long polling, optionally forgetting what is pending. */
  deleteWebhook(dropPending: boolean): void {
    if (dropPending) this.#queue = [];
    this.#webhook = undefined;
    this.#lastError = undefined;
  }

  webhookInfo(): WebhookInfo {
    const info: WebhookInfo = {
      url: '',
      has_custom_certificate: false,
      pending_update_count: this.#queue.length,
    };
    if (!this.#webhook) return info;
    return {
      ...info,
      url: this.#webhook.url,
      max_connections: this.#webhook.maxConnections,
      ip_address: '127.0.0.1',
      ...(this.#allowedUpdates
        ? { allowed_updates: [...this.#allowedUpdates] as WebhookInfo['allowed_updates'] }
        : {}),
      ...(this.#lastError
        ? { last_error_date: this.#lastError.date, last_error_message: this.#lastError.message }
        : {}),
    };
  }

  get webhook(): WebhookSettings | undefined {
    return this.#webhook;
  }

  /** Updates not yet confirmed (polling) or not yet delivered (webhook), in id order. */
  pending(): Update[] {
    return this.#queue.map((entry) => entry.update);
  }

  /** Finished webhook POSTs, oldest first. */
  deliveries(): WebhookDelivery[] {
    return this.#deliveries.map((delivery) => ({ ...delivery }));
  }

  /** Forgets pending updates, the webhook and `allowed_updates`; update ids keep increasing. */
  reset(): void {
    this.#queue = [];
    this.#webhook = undefined;
    this.#allowedUpdates = undefined;
    this.#lastError = undefined;
    this.#deliveries = [];
  }

  /** Ends a held poll with an empty batch and stops webhook delivery, promptly. */
  close(): void {
    this.#closed = true;
    this.#shutdown.abort();
    this.#poller?.finish([]);
  }

  #accepts(type: string): boolean {
    return this.#allowedUpdates ? this.#allowedUpdates.includes(type) : !OPT_IN_TYPES.includes(type);
  }

  #take(offset: number, limit: number): Update[] {
    const batch = this.#queue
      .filter((entry) => entry.update.update_id >= offset || entry.redelivery)
      .slice(0, limit);
    for (const entry of batch) {
      entry.redelivery = false;
      this.#highestReturned = Math.max(this.#highestReturned, entry.update.update_id);
    }
    return batch.map((entry) => entry.update);
  }

  #servePoller(): void {
    const poller = this.#poller;
    if (!poller) return;
    const ready = this.#take(poller.offset, poller.limit);
    if (ready.length > 0) poller.finish(ready);
  }

  /** Delivers pending updates to the webhook one at a time, in order, while one is set. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const hook = this.#webhook;
        const entry = this.#queue[0];
        if (this.#closed || !hook || !entry) return;
        const delivered = await this.#deliver(hook, entry.update);
        // Settings changed mid-delivery and it failed: leave it for the new webhook or for polling.
        if (!delivered && this.#webhook !== hook) continue;
        // Delivered, or given up after the last retry (recorded in deliveries and webhook info).
        const index = this.#queue.indexOf(entry);
        if (index !== -1) this.#queue.splice(index, 1);
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #deliver(hook: WebhookSettings, update: Update): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      const delivery: WebhookDelivery = {
        updateId: update.update_id,
        attempt,
        time: Date.now(),
        delivered: false,
      };
      try {
        const response = await fetch(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(hook.secretToken ? { 'x-telegram-bot-api-secret-token': hook.secretToken } : {}),
          },
          body: JSON.stringify(update),
          signal: AbortSignal.any([
            this.#shutdown.signal,
            AbortSignal.timeout(this.options.requestTimeoutMs),
          ]),
        });
        delivery.status = response.status;
        const body = await response.text();
        if (response.ok) {
          delivery.delivered = true;
          this.#deliveries.push(delivery);
          await this.#runWebhookReply(body);
          return true;
        }
        delivery.error = `Wrong response from the webhook: ${response.status} ${response.statusText}`;
      } catch (error) {
        if (this.#closed) return false;
        delivery.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      this.#deliveries.push(delivery);
      this.#lastError = { date: Math.floor(Date.now() / 1000), message: delivery.error };
      const delay = this.options.retryDelaysMs[attempt - 1];
      if (delay === undefined || this.#closed || this.#webhook !== hook) return false;
      await this.#sleep(delay);
    }
  }

  /** A webhook may answer with `{ method, ...params }`; Telegram then performs that call. */
  async #runWebhookReply(body: string): Promise<void> {
    let reply: unknown;
    try {
      reply = JSON.parse(body);
    } catch {
      return;
    }
    if (
      typeof reply !== 'object' ||
      reply === null ||
      !('method' in reply) ||
      typeof reply.method !== 'string'
    )
      return;
    const { method, ...params } = reply as Params & { method: string };
    // Telegram does not report a failed webhook reply to anyone; the recorder still shows it.
    await this.options.onWebhookReply(method, params).catch(() => undefined);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#shutdown.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#shutdown.signal.addEventListener('abort', done);
    });
  }
}

/** The update's kind: its one field besides `update_id`. */
export function updateType(update: Update): string {
  return Object.keys(update).find((key) => key !== 'update_id') ?? 'unknown';
}
