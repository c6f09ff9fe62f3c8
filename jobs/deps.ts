import type { Logger } from '../core/logger.ts';
import type { UpdateLog } from '../core/adapters/update-log.ts';
import type {
  EvmNetwork,
  IntentRepository,
  JobProducer,
  KeyService,
  SourceAccountLock,
  StellarNetwork,
  StellarTransactionFactory,
  UserRepository,
  WalletRepository,
} from '../core/ports.ts';
import type { ActivationDeps } from '../core/services/wallet-activation.ts';
import type { Notifier } from './notifier.ts';

/** Everything the worker's processors use, built once in jobs/main.ts. */
export interface WorkerDeps {
  logger: Logger;
  users: UserRepository;
  wallets: WalletRepository;
  intents: IntentRepository;
  updates: UpdateLog;
  keys: KeyService;
  stellar: StellarNetwork;
  evm: EvmNetwork;
  transactions: StellarTransactionFactory;
  sourceLock: SourceAccountLock;
  jobs: JobProducer;
  notifier: Notifier;
  activation: ActivationDeps['settings'];
}
