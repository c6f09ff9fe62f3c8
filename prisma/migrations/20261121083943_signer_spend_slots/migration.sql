-- AlterTable
-- Spends recorded before slots existed get a slot of their own (`legacy:<tx_hash>`), so they still
-- count towards their day and re-signing their exact transaction still finds them counted.
ALTER TABLE "signer"."spends" ADD COLUMN     "slot" TEXT;

UPDATE "signer"."spends" SET "slot" = 'legacy:' || "tx_hash";

ALTER TABLE "signer"."spends" DROP CONSTRAINT "spends_pkey",
ALTER COLUMN "slot" SET NOT NULL,
ADD CONSTRAINT "spends_pkey" PRIMARY KEY ("key_id", "slot", "asset");
