import { UnrecoverableError, type Job } from 'bullmq';
import type { z } from 'zod';
import type { Logger } from '../core/logger.ts';
import { PermanentError } from '../core/errors.ts';

/** What one job handler gets: its validated payload and a logger bound to the job. */
export interface JobScope<P> {
  payload: P;
  log: Logger;
  job: Job;
  /** True on the last attempt BullMQ will make; a failure now is final. */
  isLastAttempt: boolean;
}

/** A handler for one job name: schema at the edge, work, and what to do when it fails for good. */
export interface JobHandler<S extends z.ZodType> {
  payload: S;
  run(scope: JobScope<z.infer<S>>): Promise<unknown>;
  /** Called once when the job will not be retried again (permanent error or attempts exhausted). */
  onFinalFailure?(scope: JobScope<z.infer<S>>, error: unknown): Promise<void>;
}

/**
 * Runs a job through its handler: an invalid payload is never retried; a {@link PermanentError}
 * becomes BullMQ's UnrecoverableError; every run is logged with job id, attempt and duration.
 */
export async function runJob<S extends z.ZodType>(
  handler: JobHandler<S>,
  job: Job,
  logger: Logger,
): Promise<unknown> {
  const log = logger.child({
    jobId: job.id,
    job: job.name,
    queue: job.queueName,
    attempt: job.attemptsMade + 1,
  });
  const parsed = handler.payload.safeParse(job.data);
  if (!parsed.success) {
    log.error({ issues: parsed.error.issues }, 'invalid job payload; not retrying');
    throw new UnrecoverableError(`invalid payload for ${job.name}`);
  }
  const scope: JobScope<z.infer<S>> = {
    payload: parsed.data,
    log,
    job,
    isLastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
  };
  const started = performance.now();
  try {
    const result = await handler.run(scope);
    log.info({ durationMs: Math.round(performance.now() - started) }, 'job done');
    return result;
  } catch (error) {
    const permanent = error instanceof PermanentError;
    log[permanent || scope.isLastAttempt ? 'error' : 'warn'](
      { err: error, durationMs: Math.round(performance.now() - started), permanent },
      'job failed',
    );
    if (permanent || scope.isLastAttempt) await handler.onFinalFailure?.(scope, error);
    if (permanent) throw new UnrecoverableError(error.message);
    throw error;
  }
}

/** A job handler with its payload type erased, so handlers of different jobs fit one table. */
export type JobProcessor = (job: Job, logger: Logger) => Promise<unknown>;

export function processorFor<S extends z.ZodType>(handler: JobHandler<S>): JobProcessor {
  return (job, logger) => runJob(handler, job, logger);
}
