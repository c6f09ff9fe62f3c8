/**
 * The ledger entries the Horizon double models: accounts with their native balance, sequence
 * number, signers and trustlines. Amounts are stroops (bigint), as on the real ledger.
 */

/** A trustline of an account to a credit asset. */
export interface TrustlineEntry {
  code: string;
  issuer: string;
  balance: bigint;
  limit: bigint;
  lastModifiedLedger: number;
}

/** An ed25519 signer of an account. The master key is one of them. */
export interface SignerEntry {
  key: string;
  weight: number;
}

/** An account entry. */
export interface AccountEntry {
  id: string;
  balance: bigint;
  sequence: bigint;
  /** Trustlines (and, on the real network, offers, data entries and extra signers). */
  subentries: number;
  trustlines: Map<string, TrustlineEntry>;
  /** Data entries, values base64 as Horizon shows them (SEP-29 reads `config.memo_required`). */
  data: Map<string, string>;
  signers: SignerEntry[];
  thresholds: { low: number; med: number; high: number };
  flags: {
    authRequired: boolean;
    authRevocable: boolean;
    authImmutable: boolean;
    authClawbackEnabled: boolean;
  };
  lastModifiedLedger: number;
}

/** The key of a trustline inside its account. */
export function trustlineKey(code: string, issuer: string): string {
  return `${code}:${issuer}`;
}

function cloneAccount(entry: AccountEntry): AccountEntry {
  return {
    ...entry,
    trustlines: new Map([...entry.trustlines].map(([key, line]) => [key, { ...line }])),
    data: new Map(entry.data),
    signers: entry.signers.map((signer) => ({ ...signer })),
    thresholds: { ...entry.thresholds },
    flags: { ...entry.flags },
  };
}

/** A fresh account with the master key as its only signer, as `createAccount` makes it. */
export function newAccount(id: string, balance: bigint, sequence: bigint, ledger: number): AccountEntry {
  return {
    id,
    balance,
    sequence,
    subentries: 0,
    trustlines: new Map(),
    data: new Map(),
    signers: [{ key: id, weight: 1 }],
    thresholds: { low: 0, med: 0, high: 0 },
    flags: { authRequired: false, authRevocable: false, authImmutable: false, authClawbackEnabled: false },
    lastModifiedLedger: ledger,
  };
}

/**
 * Read access to accounts plus copy-on-write changes, like stellar-core's nested `LedgerTxn`: the
 * operations of a transaction work on a child, which is committed only if every one succeeds.
 */
export class LedgerState {
  private readonly changed = new Map<string, AccountEntry>();

  constructor(
    private readonly parent: { get(id: string): AccountEntry | undefined; set(entry: AccountEntry): void },
  ) {}

  /** A mutable copy of the account, or `undefined` if it does not exist. */
  load(id: string): AccountEntry | undefined {
    const mine = this.changed.get(id);
    if (mine) return mine;
    const theirs = this.parent.get(id);
    if (!theirs) return undefined;
    const copy = cloneAccount(theirs);
    this.changed.set(id, copy);
    return copy;
  }

  /** Whether the account exists, without taking a copy. */
  exists(id: string): boolean {
    return this.changed.has(id) || this.parent.get(id) !== undefined;
  }

  create(entry: AccountEntry): void {
    this.changed.set(entry.id, entry);
  }

  /** A child state whose changes land here on its own `commit`. */
  child(): LedgerState {
    return new LedgerState({
      get: (id) => this.changed.get(id) ?? this.parent.get(id),
      set: (entry) => this.create(entry),
    });
  }

  commit(ledger: number): void {
    for (const entry of this.changed.values()) {
      entry.lastModifiedLedger = ledger;
      this.parent.set(entry);
    }
    this.changed.clear();
  }
}
