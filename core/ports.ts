/**
 * Interfaces core/services depend on. Adapters in core/adapters implement them; tests may pass
 * their own implementations for what cannot run here.
 */
import type {
  CreateKeyRequest,
  CreateKeyResponse,
  SignEvmRequest,
  SignEvmResponse,
  SignStellarRequest,
  SignStellarResponse,
} from './signer-protocol/schema.ts';

/** The key service as seen by the worker. Implemented by core/adapters/signer-client.ts. */
export interface KeyService {
  createKey(request: CreateKeyRequest): Promise<CreateKeyResponse>;
  signStellar(request: SignStellarRequest): Promise<SignStellarResponse>;
  signEvm(request: SignEvmRequest): Promise<SignEvmResponse>;
  health(): Promise<boolean>;
}

/** One balance line of a Stellar account; `amount` is a 7-decimal string. */
export interface StellarBalance {
  assetCode: string;
  assetIssuer: string | null;
  amount: string;
}

/** Read and write access to a Stellar network (Horizon). */
export interface StellarNetwork {
  /** Balances of an account, or `null` when the account does not exist on the ledger yet. */
  getBalances(address: string): Promise<StellarBalance[] | null>;
  accountExists(address: string): Promise<boolean>;
  /** Asks the network's friendbot to create and fund `address` (test networks only). */
  fundWithFriendbot(address: string): Promise<void>;
  /** Current sequence number of `address` as a decimal string. */
  getSequence(address: string): Promise<string>;
  /** Submits a signed envelope; resolves with the hash once it is in a ledger. */
  submit(envelopeXdr: string): Promise<{ hash: string; ledger: number }>;
  /** Whether a transaction with this hash is in a ledger, and whether it succeeded. */
  findTransaction(hash: string): Promise<{ successful: boolean; ledger: number } | null>;
  /** The network's current base fee in stroops. */
  baseFee(): Promise<number>;
}

/** Read access to an EVM chain. */
export interface EvmNetwork {
  /** Native balance in wei. */
  getNativeBalance(address: string): Promise<bigint>;
}
