-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "signer";

-- CreateEnum
CREATE TYPE "Chain" AS ENUM ('STELLAR', 'EVM');

-- CreateEnum
CREATE TYPE "WalletStatus" AS ENUM ('PENDING_ACTIVATION', 'ACTIVE', 'ACTIVATION_FAILED');

-- CreateEnum
CREATE TYPE "IntentStatus" AS ENUM ('PENDING', 'SIGNED', 'SUBMITTED', 'CONFIRMED', 'FAILED');

-- CreateEnum
CREATE TYPE "IntentKind" AS ENUM ('WALLET_ACTIVATION');

-- CreateTable
CREATE TABLE "users" (
    "id" BIGSERIAL NOT NULL,
    "telegram_id" BIGINT NOT NULL,
    "language_code" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "wallets" (
    "id" UUID NOT NULL,
    "user_id" BIGINT NOT NULL,
    "chain" "Chain" NOT NULL,
    "address" TEXT NOT NULL,
    "signer_key_id" TEXT NOT NULL,
    "status" "WalletStatus" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activated_at" TIMESTAMP(3),

    CONSTRAINT "wallets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "processed_updates" (
    "update_id" BIGINT NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_updates_pkey" PRIMARY KEY ("update_id")
);

-- CreateTable
CREATE TABLE "chain_intents" (
    "id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "kind" "IntentKind" NOT NULL,
    "chain" "Chain" NOT NULL,
    "status" "IntentStatus" NOT NULL DEFAULT 'PENDING',
    "wallet_id" UUID,
    "source_address" TEXT,
    "amount_base" DECIMAL(78,0),
    "envelope" TEXT,
    "tx_hash" TEXT,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "chain_intents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "signer"."keys" (
    "id" UUID NOT NULL,
    "ref" TEXT NOT NULL,
    "chain" TEXT NOT NULL,
    "public_address" TEXT NOT NULL,
    "key_ciphertext" BYTEA NOT NULL,
    "key_nonce" BYTEA NOT NULL,
    "wrapped_data_key" BYTEA NOT NULL,
    "wrap_nonce" BYTEA NOT NULL,
    "kek_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "signer"."audit" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "action" TEXT NOT NULL,
    "key_id" UUID,
    "decision" TEXT NOT NULL,
    "reason" TEXT,
    "request_id" TEXT NOT NULL,
    "digest" TEXT,

    CONSTRAINT "audit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "signer"."request_nonces" (
    "request_id" TEXT NOT NULL,
    "seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "request_nonces_pkey" PRIMARY KEY ("request_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_telegram_id_key" ON "users"("telegram_id");

-- CreateIndex
CREATE UNIQUE INDEX "wallets_address_key" ON "wallets"("address");

-- CreateIndex
CREATE UNIQUE INDEX "wallets_signer_key_id_key" ON "wallets"("signer_key_id");

-- CreateIndex
CREATE UNIQUE INDEX "wallets_user_id_chain_key" ON "wallets"("user_id", "chain");

-- CreateIndex
CREATE INDEX "processed_updates_received_at_idx" ON "processed_updates"("received_at");

-- CreateIndex
CREATE UNIQUE INDEX "chain_intents_key_key" ON "chain_intents"("key");

-- CreateIndex
CREATE INDEX "chain_intents_status_idx" ON "chain_intents"("status");

-- CreateIndex
CREATE UNIQUE INDEX "keys_ref_key" ON "signer"."keys"("ref");

-- CreateIndex
CREATE UNIQUE INDEX "keys_public_address_key" ON "signer"."keys"("public_address");

-- CreateIndex
CREATE INDEX "audit_key_id_at_idx" ON "signer"."audit"("key_id", "at");

-- CreateIndex
CREATE INDEX "request_nonces_seen_at_idx" ON "signer"."request_nonces"("seen_at");

-- AddForeignKey
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "chain_intents" ADD CONSTRAINT "chain_intents_wallet_id_fkey" FOREIGN KEY ("wallet_id") REFERENCES "wallets"("id") ON DELETE SET NULL ON UPDATE CASCADE;
