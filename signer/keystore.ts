/**
 * Stored keys: creation (idempotent on the caller's ref), lookup and master-key rotation, over
 * `signer.keys` with plain SQL. Rows hold only sealed keys (see envelope.ts); a private key exists
 * in plaintext only inside {@link Keystore.withPrivateKey}, and is wiped when it returns.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { SignerChain } from '../core/signer-protocol/schema.ts';
import { generateEvmKey, generateStellarKey } from './chain-keys.ts';
import {
  SealOpenError,
  openPrivateKey,
  rewrapDataKey,
  sealPrivateKey,
  type Kek,
  type KeyBinding,
  type SealedKey,
} from './envelope.ts';
import { KeyIntegrityError } from './errors.ts';

/** One row of `signer.keys`. */
export interface KeyRecord extends SealedKey {
  id: string;
  ref: string;
  chain: SignerChain;
  address: string;
}

interface KeyRow {
  id: string;
  ref: string;
  chain: string;
  public_address: string;
  key_ciphertext: Buffer;
  key_nonce: Buffer;
  wrapped_data_key: Buffer;
  wrap_nonce: Buffer;
  kek_id: string;
}

const COLUMNS =
  'id, ref, chain, public_address, key_ciphertext, key_nonce, wrapped_data_key, wrap_nonce, kek_id';

function toRecord(row: KeyRow): KeyRecord {
  if (row.chain !== 'stellar' && row.chain !== 'evm')
    throw new KeyIntegrityError(row.id, `unknown chain ${row.chain}`);
  return {
    id: row.id,
    ref: row.ref,
    chain: row.chain,
    address: row.public_address,
    keyCiphertext: row.key_ciphertext,
    keyNonce: row.key_nonce,
    wrappedDataKey: row.wrapped_data_key,
    wrapNonce: row.wrap_nonce,
    kekId: row.kek_id,
  };
}

function bindingOf(record: Pick<KeyRecord, 'id' | 'chain' | 'address'>): KeyBinding {
  return { keyId: record.id, chain: record.chain, address: record.address };
}

/** Options of {@link Keystore}. */
export interface KeystoreOptions {
  pool: pg.Pool;
  /** Master keys this process holds. The first seals new keys; the others only open (during a rotation). */
  keks: readonly Kek[];
  /** How many sealed records to keep in memory; they hold ciphertext only. */
  cacheSize?: number;
}

/** The signer's key store. */
export class Keystore {
  readonly #pool: pg.Pool;
  readonly #keks: ReadonlyMap<string, Kek>;
  readonly #current: Kek;
  // Sealed rows only: a cache hit saves a database round trip per signature, and a leak of it is no
  // worse than a leak of the table.
  readonly #cache = new Map<string, KeyRecord>();
  readonly #cacheSize: number;

  constructor(options: KeystoreOptions) {
    const [current] = options.keks;
    if (!current) throw new Error('the keystore needs a master key');
    this.#pool = options.pool;
    this.#current = current;
    this.#keks = new Map(options.keks.map((kek) => [kek.id, kek]));
    this.#cacheSize = options.cacheSize ?? 10_000;
  }

  /**
   * The key named `ref`, created on first use. Concurrent calls with the same ref all get the same
   * key: the unique index on `ref` decides, and the losers read the winner's row. The returned
   * record may be on another chain than asked; the caller decides what that means.
   */
  async create(chain: SignerChain, ref: string): Promise<{ record: KeyRecord; created: boolean }> {
    const existing = await this.#findByRef(ref);
    if (existing) return { record: existing, created: false };

    const id = randomUUID();
    const { secret, address } = chain === 'stellar' ? generateStellarKey() : generateEvmKey();
    let sealed: SealedKey;
    try {
      const binding = { keyId: id, chain, address };
      sealed = sealPrivateKey(secret, this.#current, binding);
      // Proves the row will open before it is the only copy of the key.
      const reopened = openPrivateKey(sealed, this.#current, binding);
      const same = reopened.equals(secret);
      reopened.fill(0);
      if (!same) throw new KeyIntegrityError(id, 'sealed key does not reopen');
    } finally {
      secret.fill(0);
    }

    const inserted = await this.#pool.query<KeyRow>(
      `INSERT INTO signer.keys (${COLUMNS}, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() AT TIME ZONE 'UTC')
       ON CONFLICT (ref) DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        id,
        ref,
        chain,
        address,
        sealed.keyCiphertext,
        sealed.keyNonce,
        sealed.wrappedDataKey,
        sealed.wrapNonce,
        sealed.kekId,
      ],
    );
    const row = inserted.rows[0];
    if (row) return { record: this.#remember(toRecord(row)), created: true };
    const winner = await this.#findByRef(ref);
    if (!winner) throw new Error(`key ref ${ref} conflicted but cannot be read`);
    return { record: winner, created: false };
  }

  /** The key with this id, or undefined. */
  async find(id: string): Promise<KeyRecord | undefined> {
    const cached = this.#cache.get(id);
    // A record sealed under a master key this process lacks may have been re-wrapped since it was cached.
    if (cached && this.#keks.has(cached.kekId)) return cached;
    const { rows } = await this.#pool.query<KeyRow>(`SELECT ${COLUMNS} FROM signer.keys WHERE id = $1`, [id]);
    return rows[0] ? this.#remember(toRecord(rows[0])) : undefined;
  }

  /**
   * Runs `use` with the plaintext private key of `record` and wipes it afterwards. `use` must be
   * synchronous and must not keep the buffer.
   */
  withPrivateKey<T>(record: KeyRecord, use: (secret: Buffer) => T): T {
    const kek = this.#keks.get(record.kekId);
    if (!kek) throw new KeyIntegrityError(record.id, 'sealed under a master key this signer does not hold');
    let secret: Buffer;
    try {
      secret = openPrivateKey(record, kek, bindingOf(record));
    } catch (error) {
      if (error instanceof SealOpenError) throw new KeyIntegrityError(record.id, error.message);
      throw error;
    }
    try {
      return use(secret);
    } finally {
      secret.fill(0);
    }
  }

  async #findByRef(ref: string): Promise<KeyRecord | undefined> {
    const { rows } = await this.#pool.query<KeyRow>(`SELECT ${COLUMNS} FROM signer.keys WHERE ref = $1`, [
      ref,
    ]);
    return rows[0] ? this.#remember(toRecord(rows[0])) : undefined;
  }

  #remember(record: KeyRecord): KeyRecord {
    if (this.#cache.size >= this.#cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(record.id, record);
    return record;
  }
}

/**
 * Master-key rotation: re-wraps the data key of every row sealed under `from` so it is sealed under
 * `to`, in batches, each batch in one transaction. Private-key ciphertexts are untouched. Safe to
 * run again after an interruption (it picks up the rows still under `from`); a row that does not
 * open aborts the run with {@link KeyIntegrityError} and leaves its batch as it was.
 * Returns how many rows were re-wrapped.
 */
export async function rewrapAll(pool: pg.Pool, from: Kek, to: Kek, options: { batchSize?: number } = {}) {
  if (from.id === to.id) throw new Error('the new master key is the old one');
  const batchSize = options.batchSize ?? 500;
  let total = 0;
  for (;;) {
    const client = await pool.connect();
    let count = 0;
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<KeyRow>(
        `SELECT ${COLUMNS} FROM signer.keys WHERE kek_id = $1 ORDER BY id LIMIT $2 FOR UPDATE`,
        [from.id, batchSize],
      );
      for (const row of rows) {
        const record = toRecord(row);
        let rewrapped: SealedKey;
        try {
          rewrapped = rewrapDataKey(record, from, to, bindingOf(record));
        } catch (error) {
          if (error instanceof SealOpenError) throw new KeyIntegrityError(record.id, error.message);
          throw error;
        }
        await client.query(
          `UPDATE signer.keys SET wrapped_data_key = $1, wrap_nonce = $2, kek_id = $3 WHERE id = $4 AND kek_id = $5`,
          [rewrapped.wrappedDataKey, rewrapped.wrapNonce, rewrapped.kekId, record.id, from.id],
        );
      }
      await client.query('COMMIT');
      count = rows.length;
    } catch (error) {
      // A connection whose rollback fails is in an unknown state: it is discarded, not pooled.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
    total += count;
    if (count < batchSize) return total;
  }
}
