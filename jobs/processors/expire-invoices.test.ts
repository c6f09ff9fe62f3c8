import { describe, expect, it } from 'vitest';
import type { Job } from 'bullmq';
import { createLogger } from '../../core/logger.ts';
import { maintenanceJobs } from '../../core/queues.ts';
import { runJob } from '../run-job.ts';
import { expireInvoicesHandler } from './expire-invoices.ts';

const logger = createLogger({ name: 'expire-invoices-test', level: 'silent' });
const job = (data: unknown) =>
  ({
    id: 'repeat:expire-invoices:1',
    name: maintenanceJobs.expireInvoices.name,
    queueName: 'maintenance',
    data,
    attemptsMade: 0,
    opts: { attempts: 10 },
  }) as unknown as Job;

describe('the expire-invoices job', () => {
  it('expires every open invoice due at the time it runs and reports how many', async () => {
    const now = new Date('2026-11-21T12:00:00Z');
    const calls: Date[] = [];
    const handler = expireInvoicesHandler({
      invoices: { expireDue: async (at) => (calls.push(at), 3) },
      now: () => now,
    });
    expect(await runJob(handler, job({}), logger)).toEqual({ expired: 3 });
    expect(calls).toEqual([now]);
  });

  it('refuses a malformed payload without retrying', async () => {
    const handler = expireInvoicesHandler({ invoices: { expireDue: async () => 0 } });
    await expect(runJob(handler, job('nonsense'), logger)).rejects.toThrow(/invalid payload/);
  });
});
