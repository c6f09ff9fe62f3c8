import { maintenanceJobs } from '../../core/queues.ts';
import type { InvoiceRepository } from '../../core/ports.ts';
import type { JobHandler } from '../run-job.ts';

/**
 * Moves OPEN invoices past their expiry to EXPIRED. Payment paths never rely on it (an OPEN
 * invoice past its expiry already counts as expired); it keeps the stored status, the page and the
 * payee's view truthful. Idempotent: a second run finds nothing to change.
 */
export function expireInvoicesHandler(deps: {
  invoices: Pick<InvoiceRepository, 'expireDue'>;
  now?: () => Date;
}): JobHandler<typeof maintenanceJobs.expireInvoices.payload> {
  return {
    payload: maintenanceJobs.expireInvoices.payload,
    run: async ({ log }) => {
      const expired = await deps.invoices.expireDue(deps.now?.() ?? new Date());
      if (expired > 0) log.info({ expired }, 'invoices expired');
      return { expired };
    },
  };
}
