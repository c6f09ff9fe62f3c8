import type { Context, MiddlewareFn } from 'grammy';

/**
 * Runs the updates that share a key one after the other, in the order they arrive; updates with
 * other keys, or with none, run alongside. An update that fails does not hold up the next one of
 * its key (the error goes to its own caller). This is the contract of `sequentialize` from
 * `@grammyjs/runner` for one key per update, kept here because it runs on every update: the
 * runner's builds arrays and chains extra promises per update, which cost a few percent of a
 * `/help`.
 */
export function sequentializeUpdates<C extends Context>(
  keyOf: (ctx: C) => string | undefined,
): MiddlewareFn<C> {
  /** Per key, the last update that started or waits to start; removed when it is done. */
  const tails = new Map<string, Promise<unknown>>();
  return (ctx, next) => {
    const key = keyOf(ctx);
    if (key === undefined) return next();
    const previous = tails.get(key);
    const task =
      previous === undefined
        ? next()
        : previous.then(
            () => next(),
            () => next(),
          );
    tails.set(key, task);
    // Two inline functions rather than one named `forget`: under tsx (keepNames) every named
    // function made per update costs a call that names it.
    task.then(
      () => tails.get(key) === task && tails.delete(key),
      () => tails.get(key) === task && tails.delete(key),
    );
    return task;
  };
}
