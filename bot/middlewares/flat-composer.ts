import { Composer, type Context, type Middleware, type MiddlewareFn, type NextFunction } from 'grammy';

type MaybePromise<T> = T | Promise<T>;

function flatten<C extends Context>(middleware: Middleware<C>): MiddlewareFn<C> {
  if (typeof middleware === 'function') return middleware;
  if (middleware instanceof FlatComposer) return middleware.run;
  return (ctx, next) => middleware.middleware()(ctx, next);
}

/** Runs `stack[index]` with a `next` that runs the rest of the stack, then `done`. */
function runFrom<C extends Context>(
  stack: readonly MiddlewareFn<C>[],
  index: number,
  ctx: C,
  done: NextFunction,
): Promise<void> {
  const current = stack[index];
  if (current === undefined) return done();
  let called = false;
  try {
    // Promise.resolve: a middleware may return nothing; a promise passes through as it is.
    return Promise.resolve(
      // Not a named function: the tsx loader wraps each in a call that names it (keepNames).
      current(ctx, () => {
        if (called) return Promise.reject(new Error('`next` already called before!'));
        called = true;
        return runFrom(stack, index + 1, ctx, done);
      }),
    ) as Promise<void>;
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * grammY's `Composer` (same methods, same meaning) that costs little per middleware an update
 * passes. grammY nests one async function per installed middleware and builds a `Composer` for
 * every filter (`on`, `command`, `chatType`, …) an update meets: with a dozen features ahead of a
 * handler, that was most of what a `/help` cost. Here the middleware run from a list with a plain
 * `next`, and a filter decides in place: an update its predicate refuses goes on at once, one it
 * accepts enters the filter's branch. The features and the bot's own stack are built on it.
 */
export class FlatComposer<C extends Context> extends Composer<C> {
  private readonly stack: MiddlewareFn<C>[];
  /** This composer as one middleware (what `middleware()` returns); reads the list at each call. */
  readonly run: MiddlewareFn<C>;

  constructor(...middleware: Array<Middleware<C>>) {
    super();
    const stack = middleware.map(flatten);
    this.stack = stack;
    this.run = (ctx, done) => runFrom(stack, 0, ctx, done);
  }

  override middleware(): MiddlewareFn<C> {
    return this.run;
  }

  override use(...middleware: Array<Middleware<C>>): FlatComposer<C> {
    const composer = new FlatComposer<C>(...middleware);
    this.stack.push(composer.run);
    return composer;
  }

  override filter<D extends C>(
    predicate: (ctx: C) => ctx is D,
    ...middleware: Array<Middleware<D>>
  ): FlatComposer<D>;
  override filter(
    predicate: (ctx: C) => MaybePromise<boolean>,
    ...middleware: Array<Middleware<C>>
  ): FlatComposer<C>;
  override filter(
    predicate: (ctx: C) => MaybePromise<boolean>,
    ...middleware: Array<Middleware<C>>
  ): FlatComposer<C> {
    const branch = new FlatComposer<C>(...middleware);
    const enter = (matches: boolean, ctx: C, next: NextFunction) =>
      matches ? branch.run(ctx, next) : next();
    this.stack.push((ctx, next) => {
      const matches = predicate(ctx);
      return matches instanceof Promise
        ? matches.then((decided) => enter(decided, ctx, next))
        : enter(matches, ctx, next);
    });
    return branch;
  }
}
