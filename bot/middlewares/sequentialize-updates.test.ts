import { describe, expect, it } from 'vitest';
import type { Context } from 'grammy';
import { sequentializeUpdates } from './sequentialize-updates.ts';

type Fake = Context & { key?: string; name: string };

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The middleware, and a way to run an update through it with a handler that waits for a signal. */
function harness() {
  const middleware = sequentializeUpdates<Fake>((ctx) => ctx.key);
  const events: string[] = [];
  const run = (name: string, key: string | undefined) => {
    const done = deferred();
    const handled = middleware({ key, name } as Fake, async () => {
      events.push(`${name} started`);
      await done.promise;
      events.push(`${name} finished`);
    }) as Promise<void>;
    return { handled, finish: done.resolve, fail: done.reject };
  };
  return { run, events };
}

const settle = () => new Promise(setImmediate);

describe('sequentializeUpdates', () => {
  it('runs the updates of one key one after the other, in the order they came', async () => {
    const { run, events } = harness();
    const first = run('first', 'ann');
    const second = run('second', 'ann');
    const third = run('third', 'ann');
    await settle();
    expect(events).toEqual(['first started']);
    first.finish();
    await settle();
    expect(events).toEqual(['first started', 'first finished', 'second started']);
    second.finish();
    third.finish();
    await Promise.all([first.handled, second.handled, third.handled]);
    expect(events).toEqual([
      'first started',
      'first finished',
      'second started',
      'second finished',
      'third started',
      'third finished',
    ]);
  });

  it('runs updates of other keys, or without a key, alongside', async () => {
    const { run, events } = harness();
    const ann = run('ann', 'ann');
    const bob = run('bob', 'bob');
    const channel = run('channel', undefined);
    await settle();
    expect([...events].sort()).toEqual(['ann started', 'bob started', 'channel started']);
    ann.finish();
    bob.finish();
    channel.finish();
    await Promise.all([ann.handled, bob.handled, channel.handled]);
  });

  it('lets the next update run after one that failed, and gives the failure to its own caller', async () => {
    const { run, events } = harness();
    const failing = run('failing', 'ann');
    const next = run('next', 'ann');
    failing.fail(new Error('handler broke'));
    await expect(failing.handled).rejects.toThrow('handler broke');
    await settle();
    expect(events).toEqual(['failing started', 'next started']);
    next.finish();
    await expect(next.handled).resolves.toBeUndefined();
  });

  it('starts a key afresh once its updates are done', async () => {
    const { run, events } = harness();
    const first = run('first', 'ann');
    first.finish();
    await first.handled;
    await settle();
    const later = run('later', 'ann');
    await settle();
    expect(events).toEqual(['first started', 'first finished', 'later started']);
    later.finish();
    await later.handled;
  });
});
