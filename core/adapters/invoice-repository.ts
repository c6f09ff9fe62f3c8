import { randomBytes } from 'node:crypto';
import type { InvoiceRecord, InvoiceRepository } from '../ports.ts';
import type { Invoice, PrismaClient } from './prisma-client.ts';
import { prismaRunner, stageNotifications } from './notification-outbox.ts';

/** 9 random bytes: a 12-character base64url slug, unguessable enough for a public link. */
const SLUG_BYTES = 9;
const UNIQUE_VIOLATION = 'P2002';

function toRecord(row: Invoice): InvoiceRecord {
  return { ...row, amountBase: BigInt(row.amountBase.toFixed()) };
}

/** Invoices and their Stars payments in Postgres. */
export function createInvoiceRepository(prisma: PrismaClient): InvoiceRepository {
  return {
    async create(invoice) {
      for (let attempt = 0; ; attempt++) {
        try {
          const row = await prisma.invoice.create({
            data: {
              ...invoice,
              amountBase: invoice.amountBase.toString(),
              slug: randomBytes(SLUG_BYTES).toString('base64url'),
            },
          });
          return toRecord(row);
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code !== UNIQUE_VIOLATION || attempt >= 3) throw error;
        }
      }
    },
    async findBySlug(slug) {
      const row = await prisma.invoice.findUnique({ where: { slug } });
      return row && toRecord(row);
    },
    async findById(id) {
      const row = await prisma.invoice.findUnique({ where: { id } });
      return row && toRecord(row);
    },
    async cancel(id, payeeUserId) {
      const { count } = await prisma.invoice.updateMany({
        where: { id, payeeUserId, status: 'OPEN' },
        data: { status: 'CANCELLED' },
      });
      return count === 1;
    },
    async expireDue(now) {
      const { count } = await prisma.invoice.updateMany({
        where: { status: 'OPEN', expiresAt: { lte: now } },
        data: { status: 'EXPIRED' },
      });
      return count;
    },
    async recordStarPayment({ chargeId, invoiceId, payerTelegramId, payerUserId, amount, now }) {
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.starPayment.createMany({
          data: [{ chargeId, invoiceId, payerTelegramId, amount }],
          skipDuplicates: true,
        });
        if (count === 0) return { credited: false, settled: false, staged: null };
        const settled = await tx.invoice.updateMany({
          where: {
            id: invoiceId,
            status: 'OPEN',
            rail: 'STARS',
            expiresAt: { gt: now },
            amountBase: amount.toString(),
          },
          data: { status: 'PAID', paidAt: now, paidByUserId: payerUserId, settlementRef: chargeId },
        });
        if (settled.count === 0) return { credited: true, settled: false, staged: null };
        // Committed with the settlement, so the payee hears of it even if the bot stops right after.
        const staged = await stageNotifications(prismaRunner(tx), [{ kind: 'invoice-paid', invoiceId }]);
        return { credited: true, settled: true, staged };
      });
    },
    async markStarPaymentRefunded(chargeId, now) {
      const { count } = await prisma.starPayment.updateMany({
        where: { chargeId, status: 'PAID' },
        data: { status: 'REFUNDED', refundedAt: now },
      });
      return count === 1;
    },
    findStarPayment: (chargeId) =>
      prisma.starPayment.findUnique({
        where: { chargeId },
        select: { chargeId: true, invoiceId: true, payerTelegramId: true, amount: true, status: true },
      }),
  };
}
