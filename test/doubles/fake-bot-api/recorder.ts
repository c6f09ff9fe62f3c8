import type { UploadedFile } from './multipart.ts';

/** Request parameters after parsing: JSON values, with `attach://` references replaced by files. */
export type Params = Record<string, unknown>;

/** The body Telegram answers with, successful or not. */
export type ApiResponse =
  | { ok: true; result: unknown }
  | { ok: false; error_code: number; description: string; parameters?: Record<string, unknown> };

/** One Bot API call as the fake saw and answered it. */
export interface RecordedCall {
  /** The method name as the fake knows it (`sendMessage`), or as requested if unknown. */
  method: string;
  params: Params;
  /** Uploaded parts by part name (also reachable through `params` where `attach://` named them). */
  files: Record<string, UploadedFile>;
  /** When the request arrived (ms since epoch). */
  time: number;
  /** When the answer was sent; later than `time` for a held `getUpdates`. */
  answeredAt: number;
  status: number;
  response: ApiResponse;
}

/** Options for {@link CallRecorder.waitFor}. */
export interface WaitOptions {
  /** Give up after this long (default 5000 ms). */
  timeoutMs?: number;
}

/**
 * Keeps every call in the order it was answered, and lets a test wait for one. Waiting is
 * event-based: a waiter checks the calls already recorded, then each new one as it lands.
 */
export class CallRecorder {
  #calls: RecordedCall[] = [];
  #listeners = new Set<(call: RecordedCall) => void>();

  record(call: RecordedCall): void {
    this.#calls.push(call);
    for (const listener of [...this.#listeners]) listener(call);
  }

  calls(method?: string): RecordedCall[] {
    if (method === undefined) return [...this.#calls];
    const wanted = method.toLowerCase();
    return this.#calls.filter((call) => call.method.toLowerCase() === wanted);
  }

  waitFor(predicate: (call: RecordedCall) => boolean, options: WaitOptions = {}): Promise<RecordedCall> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const already = this.#calls.find(predicate);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const listener = (call: RecordedCall): void => {
        if (!predicate(call)) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve(call);
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(
          new Error(`No matching Bot API call within ${timeoutMs} ms (calls so far: ${this.#summary()})`),
        );
      }, timeoutMs);
      this.#listeners.add(listener);
    });
  }

  /** `sendMessage×2, getUpdates×9`: enough to see what did happen when a wait fails. */
  #summary(): string {
    const counts = new Map<string, number>();
    for (const call of this.#calls) counts.set(call.method, (counts.get(call.method) ?? 0) + 1);
    return [...counts].map(([method, count]) => `${method}×${count}`).join(', ') || 'none';
  }

  reset(): void {
    this.#calls = [];
  }
}
