-- CreateEnum
CREATE TYPE "InvoiceStatus" AS ENUM ('OPEN', 'PAID', 'EXPIRED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "InvoiceRail" AS ENUM ('STELLAR', 'EVM', 'STARS');

-- CreateEnum
CREATE TYPE "DepositStatus" AS ENUM ('PENDING', 'CREDITED', 'REVERSED', 'DROPPED');

-- CreateEnum
CREATE TYPE "StarPaymentStatus" AS ENUM ('PAID', 'REFUNDED');

-- AlterEnum
ALTER TYPE "IntentKind" ADD VALUE 'PAYMENT';

-- AlterTable
ALTER TABLE "chain_intents" ADD COLUMN     "asset_code" TEXT,
ADD COLUMN     "asset_issuer" TEXT,
ADD COLUMN     "chain_id" INTEGER,
ADD COLUMN     "confirmed_at" TIMESTAMP(3),
ADD COLUMN     "destination" TEXT,
ADD COLUMN     "evm_nonce" BIGINT,
ADD COLUMN     "invoice_id" UUID,
ADD COLUMN     "memo" TEXT,
ADD COLUMN     "memo_type" TEXT,
ADD COLUMN     "recipient_user_id" BIGINT,
ADD COLUMN     "status_chat_id" BIGINT,
ADD COLUMN     "status_message_id" INTEGER,
ADD COLUMN     "user_id" BIGINT,
ADD COLUMN     "valid_until" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "username" TEXT;

-- CreateTable
CREATE TABLE "invoices" (
    "id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "payee_user_id" BIGINT NOT NULL,
    "rail" "InvoiceRail" NOT NULL,
    "chain_id" INTEGER,
    "asset_code" TEXT NOT NULL,
    "asset_issuer" TEXT,
    "amount_base" DECIMAL(78,0) NOT NULL,
    "description" TEXT NOT NULL,
    "payee_address" TEXT,
    "memo_id" BIGSERIAL NOT NULL,
    "status" "InvoiceStatus" NOT NULL DEFAULT 'OPEN',
    "expires_at" TIMESTAMP(3) NOT NULL,
    "paid_at" TIMESTAMP(3),
    "paid_by_user_id" BIGINT,
    "settlement_ref" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "invoices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "chain_deposits" (
    "id" UUID NOT NULL,
    "event_key" TEXT NOT NULL,
    "chain" "Chain" NOT NULL,
    "chain_id" INTEGER,
    "wallet_id" UUID NOT NULL,
    "from_address" TEXT NOT NULL,
    "to_address" TEXT NOT NULL,
    "asset_code" TEXT NOT NULL,
    "asset_issuer" TEXT,
    "amount_base" DECIMAL(78,0) NOT NULL,
    "memo_type" TEXT,
    "memo" TEXT,
    "tx_hash" TEXT NOT NULL,
    "height" BIGINT NOT NULL,
    "block_hash" TEXT,
    "status" "DepositStatus" NOT NULL,
    "invoice_id" UUID,
    "invoice_outcome" TEXT,
    "credited_at" TIMESTAMP(3),
    "reversed_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "chain_deposits_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "watcher_cursors" (
    "name" TEXT NOT NULL,
    "cursor" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "watcher_cursors_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "evm_blocks" (
    "chain_id" INTEGER NOT NULL,
    "number" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "evm_blocks_pkey" PRIMARY KEY ("chain_id","number")
);

-- CreateTable
CREATE TABLE "pending_actions" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "telegram_user_id" BIGINT NOT NULL,
    "chat_id" BIGINT NOT NULL,
    "message_id" INTEGER,
    "payload" JSONB NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pending_actions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "star_payments" (
    "telegram_payment_charge_id" TEXT NOT NULL,
    "invoice_id" UUID NOT NULL,
    "payer_telegram_id" BIGINT NOT NULL,
    "amount" BIGINT NOT NULL,
    "status" "StarPaymentStatus" NOT NULL DEFAULT 'PAID',
    "refunded_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "star_payments_pkey" PRIMARY KEY ("telegram_payment_charge_id")
);

-- CreateTable
CREATE TABLE "signer"."spends" (
    "key_id" UUID NOT NULL,
    "tx_hash" TEXT NOT NULL,
    "asset" TEXT NOT NULL,
    "amount_base" DECIMAL(78,0) NOT NULL,
    "day" DATE NOT NULL,
    "at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "spends_pkey" PRIMARY KEY ("key_id","tx_hash","asset")
);

-- CreateIndex
CREATE UNIQUE INDEX "invoices_slug_key" ON "invoices"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "invoices_memo_id_key" ON "invoices"("memo_id");

-- CreateIndex
CREATE UNIQUE INDEX "invoices_settlement_ref_key" ON "invoices"("settlement_ref");

-- CreateIndex
CREATE INDEX "invoices_status_expires_at_idx" ON "invoices"("status", "expires_at");

-- CreateIndex
CREATE INDEX "invoices_payee_address_status_idx" ON "invoices"("payee_address", "status");

-- CreateIndex
CREATE INDEX "invoices_payee_user_id_created_at_idx" ON "invoices"("payee_user_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "chain_deposits_event_key_key" ON "chain_deposits"("event_key");

-- CreateIndex
CREATE INDEX "chain_deposits_wallet_id_created_at_idx" ON "chain_deposits"("wallet_id", "created_at");

-- CreateIndex
CREATE INDEX "chain_deposits_chain_chain_id_status_height_idx" ON "chain_deposits"("chain", "chain_id", "status", "height");

-- CreateIndex
CREATE INDEX "pending_actions_expires_at_idx" ON "pending_actions"("expires_at");

-- CreateIndex
CREATE INDEX "spends_key_id_day_asset_idx" ON "signer"."spends"("key_id", "day", "asset");

-- CreateIndex
CREATE INDEX "chain_intents_source_address_status_idx" ON "chain_intents"("source_address", "status");

-- CreateIndex
CREATE INDEX "chain_intents_user_id_created_at_idx" ON "chain_intents"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "users_username_idx" ON "users"("username");

-- AddForeignKey
ALTER TABLE "chain_intents" ADD CONSTRAINT "chain_intents_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_payee_user_id_fkey" FOREIGN KEY ("payee_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "chain_deposits" ADD CONSTRAINT "chain_deposits_wallet_id_fkey" FOREIGN KEY ("wallet_id") REFERENCES "wallets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "chain_deposits" ADD CONSTRAINT "chain_deposits_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "star_payments" ADD CONSTRAINT "star_payments_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
