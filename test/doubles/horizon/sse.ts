/**
 * Server-Sent Events as Horizon writes them (`render/sse`): a `retry: 1000` / `event: open` /
 * `data: "hello"` preamble, then one `id: <paging token>` + `data: <record JSON>` message per record,
 * `event: error` with the message on failure, and, once `limit` records have been sent on this
 * connection, the goodbye (`retry: 10`, `event: close`, `data: "byebye"`) before the server ends the
 * response: clients reconnect from the last id (the SDK with `cursor`, EventSource with
 * `Last-Event-ID`). Between ledgers the stream waits; each closed ledger wakes it.
 */
import type { ServerResponse } from 'node:http';

/** One record to send. */
export interface StreamEvent {
  id: string;
  data: string;
}

/**
 * A page stream on one connection. `fetch(after, max)` returns up to `max` records after the
 * position `after` (a paging token). Buffering is bounded: at most `limit` records are written per
 * connection, and after a write the socket refuses, the stream waits for `drain` before fetching
 * more.
 */
export class PageStream {
  private remaining: number;
  private waitingForDrain = false;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    private position: string,
    limit: number,
    private readonly fetch: (after: string, max: number) => StreamEvent[],
    private readonly onEnd: (stream: PageStream) => void,
  ) {
    this.remaining = limit;
    res.on('close', () => this.finish());
  }

  /** Sends the headers and the hello event, then whatever is already there. */
  start(): void {
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'Access-Control-Allow-Origin': '*',
    });
    this.res.write('retry: 1000\nevent: open\ndata: "hello"\n\n');
    this.pump();
  }

  /** Sends records that arrived since the last call (a ledger closed). */
  pump(): void {
    if (this.ended || this.waitingForDrain) return;
    const events = this.fetch(this.position, this.remaining);
    let accepted = true;
    for (const event of events) {
      accepted = this.res.write(`id: ${event.id}\ndata: ${event.data}\n\n`);
      this.position = event.id;
      this.remaining -= 1;
    }
    if (this.remaining <= 0) {
      this.res.end('retry: 10\nevent: close\ndata: "byebye"\n\n');
      this.finish();
    } else if (!accepted) {
      this.waitingForDrain = true;
      this.res.once('drain', () => {
        this.waitingForDrain = false;
        this.pump();
      });
    }
  }

  /** Ends the response, as Horizon does when it shuts down; resolves once it is flushed or gone. */
  end(): Promise<void> {
    const flushed = new Promise<void>((resolve) => {
      if (this.res.writableFinished || this.res.destroyed) return resolve();
      this.res.once('finish', resolve);
      this.res.once('close', resolve);
    });
    if (!this.res.writableEnded) this.res.end();
    this.finish();
    return flushed;
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(this);
  }
}

/** Opens a stream that fails at once, as Horizon reports an error found while streaming. */
export function streamError(res: ServerResponse, message: string): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
    'Access-Control-Allow-Origin': '*',
  });
  res.end(`retry: 1000\nevent: open\ndata: "hello"\n\nevent: error\ndata: ${message}\n\n`);
}
