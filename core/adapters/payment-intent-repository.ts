import type { PaymentAsset, PaymentIntentRecord, PaymentIntentRepository, PaymentOrder } from '../ports.ts';
import type { ChainIntent, PrismaClient } from './prisma-client.ts';

/** Payment intents in `chain_intents`: the confirmed order, and where its transaction stands. */
export function createPaymentIntentRepository(prisma: PrismaClient): PaymentIntentRepository {
  const findByKey = async (key: string) => {
    const row = await prisma.chainIntent.findUnique({ where: { key } });
    return row && row.kind === 'PAYMENT' ? toRecord(row) : null;
  };
  return {
    async create(order) {
      const { count } = await prisma.chainIntent.createMany({
        data: [
          {
            key: order.key,
            kind: 'PAYMENT',
            chain: order.asset.chain,
            chainId: order.asset.chain === 'EVM' ? order.asset.chainId : null,
            walletId: order.walletId,
            userId: order.userId,
            destination: order.destination,
            recipientUserId: order.recipientUserId,
            assetCode: order.asset.code,
            assetIssuer: order.asset.issuer,
            amountBase: order.amountBase.toString(),
            memoType: order.memo?.type ?? null,
            memo: order.memo?.value ?? null,
            invoiceId: order.invoiceId,
            statusChatId: order.statusChatId,
            statusMessageId: order.statusMessageId,
            confirmedAt: new Date(),
          },
        ],
        skipDuplicates: true,
      });
      const intent = await findByKey(order.key);
      if (!intent) throw new Error(`intent ${order.key} exists but is not a payment`);
      return { created: count === 1, intent };
    },
    findByKey,
    async listUnsettled(before, limit) {
      const rows = await prisma.chainIntent.findMany({
        where: { kind: 'PAYMENT', status: { in: ['SIGNED', 'SUBMITTED'] }, updatedAt: { lt: before } },
        orderBy: { updatedAt: 'asc' },
        take: limit,
        select: { key: true },
      });
      return rows.map((row) => row.key);
    },
  };
}

function assetOf(row: ChainIntent): PaymentAsset {
  return row.chain === 'STELLAR'
    ? { chain: 'STELLAR', code: row.assetCode!, issuer: row.assetIssuer }
    : { chain: 'EVM', chainId: row.chainId!, code: row.assetCode!, issuer: row.assetIssuer };
}

function toRecord(row: ChainIntent): PaymentIntentRecord {
  const order: PaymentOrder = {
    key: row.key,
    userId: row.userId!,
    walletId: row.walletId!,
    asset: assetOf(row),
    amountBase: BigInt(row.amountBase!.toFixed()),
    destination: row.destination!,
    recipientUserId: row.recipientUserId,
    memo: row.memoType ? ({ type: row.memoType, value: row.memo! } as PaymentOrder['memo']) : null,
    invoiceId: row.invoiceId,
    statusChatId: row.statusChatId!,
    statusMessageId: row.statusMessageId!,
  };
  return {
    id: row.id,
    key: row.key,
    status: row.status,
    walletId: row.walletId,
    sourceAddress: row.sourceAddress,
    envelope: row.envelope,
    txHash: row.txHash,
    attempts: row.attempts,
    order,
    evmNonce: row.evmNonce,
    validUntil: row.validUntil,
    error: row.error,
  };
}
