import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { dailyLimitsSchema } from './signer-protocol/daily-limits.ts';
import { parseTokenList } from './domain/tokens.ts';
import {
  DEFAULT_STELLAR_MAX_FEE_STROOPS,
  MAX_STELLAR_FEE_CAP_STROOPS,
  MIN_STELLAR_FEE_STROOPS,
} from './domain/stellar-fees.ts';

const STELLAR_NETWORKS = {
  testnet: {
    horizonUrl: 'https://horizon-testnet.stellar.org',
    passphrase: 'Test SDF Network ; September 2015',
    friendbotUrl: 'https://friendbot.stellar.org',
  },
  public: {
    horizonUrl: 'https://horizon.stellar.org',
    passphrase: 'Public Global Stellar Network ; September 2015',
    friendbotUrl: undefined,
  },
} as const;

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
const url = z.url({ protocol: /^(https?|postgres(ql)?|rediss?)$/ });
const port = z.coerce.number().int().min(1).max(65535);
const chainId = z.coerce.number().int().positive();
/** A secret: never defaulted, never logged. */
const secret = (minLength: number) => z.string().min(minLength, `must be at least ${minLength} characters`);
const base64Key32 = z
  .string()
  .refine((value) => Buffer.from(value, 'base64').length === 32 && /^[A-Za-z0-9+/]+=*$/.test(value), {
    message: 'must be 32 random bytes, base64-encoded',
  });
const xlmAmount = z.string().regex(/^\d{1,12}(\.\d{1,7})?$/, 'must be an XLM amount with at most 7 decimals');

const stellarShape = {
  STELLAR_NETWORK: z.enum(['testnet', 'public', 'custom']).default('testnet'),
  STELLAR_HORIZON_URL: url.optional(),
  STELLAR_NETWORK_PASSPHRASE: z.string().min(1).optional(),
  STELLAR_FRIENDBOT_URL: url.optional(),
};
/** ERC-20 tokens the platform knows: `SYMBOL:0xContract:decimals,...` (see core/domain/tokens.ts). */
export const evmTokensSetting = z
  .string()
  .default('')
  .transform((text, context) => {
    try {
      return parseTokenList(text);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

const evmShape = {
  EVM_RPC_URL: url,
  EVM_CHAIN_ID: chainId,
  EVM_TOKENS: evmTokensSetting,
};
/**
 * The most a Stellar transaction offers per operation under surge pricing; above it payments wait.
 * Bot and worker read it alike, so the fee a send is checked with is the fee it is built with. At
 * most the key service's own ceiling (see core/domain/stellar-fees.ts), so the signer never refuses
 * a fee the worker chose.
 */
const stellarMaxFee = z.coerce
  .number()
  .int()
  .min(MIN_STELLAR_FEE_STROOPS)
  .max(MAX_STELLAR_FEE_CAP_STROOPS)
  .default(DEFAULT_STELLAR_MAX_FEE_STROOPS);

const paymentsShape = {
  /** How long an invoice stays payable unless its creator says otherwise. */
  INVOICE_TTL_MINUTES: z.coerce.number().int().min(1).max(525_600).default(1440),
  /** How long a Confirm or Pay button stays valid. */
  CONFIRM_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
  /** Public https origin of the bot's HTTP server (invoice pages); defaults to WEBHOOK_URL's origin. */
  PUBLIC_URL: url.optional(),
};
const telegramShape = {
  BOT_TOKEN: z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'must look like 123456:ABC... (from @BotFather)'),
  TELEGRAM_API_ROOT: url.default('https://api.telegram.org'),
};
const storeShape = {
  DATABASE_URL: url,
  REDIS_URL: url,
};

/** Stellar settings after the network preset is applied. */
export interface StellarConfig {
  network: 'testnet' | 'public' | 'custom';
  horizonUrl: string;
  passphrase: string;
  friendbotUrl: string | undefined;
}

function resolveStellar(env: z.infer<z.ZodObject<typeof stellarShape>>): StellarConfig {
  const preset = env.STELLAR_NETWORK === 'custom' ? undefined : STELLAR_NETWORKS[env.STELLAR_NETWORK];
  const horizonUrl = env.STELLAR_HORIZON_URL ?? preset?.horizonUrl;
  const passphrase = env.STELLAR_NETWORK_PASSPHRASE ?? preset?.passphrase;
  if (!horizonUrl) throw new ConfigError('STELLAR_HORIZON_URL', 'is required when STELLAR_NETWORK=custom');
  if (!passphrase)
    throw new ConfigError('STELLAR_NETWORK_PASSPHRASE', 'is required when STELLAR_NETWORK=custom');
  return {
    network: env.STELLAR_NETWORK,
    horizonUrl,
    passphrase,
    friendbotUrl: env.STELLAR_FRIENDBOT_URL ?? preset?.friendbotUrl,
  };
}

/**
 * Parses `env` against `shape` and names the first offending variable in one readable line.
 * Exported for the processes' own schemas; values are never echoed, since some are secrets.
 */
export function parseEnv<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv): z.infer<z.ZodObject<S>> {
  const blankAsMissing = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = z.object(shape).safeParse(blankAsMissing);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = String(issue.path[0] ?? 'environment');
  const problem =
    issue.code === 'invalid_type' && !(variable in blankAsMissing) ? 'is required' : issue.message;
  throw new ConfigError(variable, problem);
}

/** Configuration of the bot process. */
export function loadBotConfig(env: NodeJS.ProcessEnv = process.env) {
  const raw = parseEnv(
    {
      ...telegramShape,
      ...storeShape,
      ...stellarShape,
      ...evmShape,
      ...paymentsShape,
      BOT_MODE: z.enum(['polling', 'webhook']).default('polling'),
      WEBHOOK_URL: url.optional(),
      WEBHOOK_SECRET: z
        .string()
        .regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16-256 characters of A-Z a-z 0-9 _ -')
        .optional(),
      PORT: port.default(3000),
      LOG_LEVEL: logLevel,
      BOT_ADMIN_IDS: z.string().optional(),
      STELLAR_MAX_FEE_STROOPS: stellarMaxFee,
    },
    env,
  );
  if (raw.BOT_MODE === 'webhook') {
    if (!raw.WEBHOOK_URL) throw new ConfigError('WEBHOOK_URL', 'is required when BOT_MODE=webhook');
    if (!raw.WEBHOOK_SECRET) throw new ConfigError('WEBHOOK_SECRET', 'is required when BOT_MODE=webhook');
  }
  return { ...raw, stellar: resolveStellar(raw) };
}
export type BotConfig = ReturnType<typeof loadBotConfig>;

/** Configuration of the worker process. It never sees the master key. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env) {
  const raw = parseEnv(
    {
      ...telegramShape,
      ...storeShape,
      ...stellarShape,
      ...evmShape,
      SIGNER_URL: url,
      SIGNER_AUTH_SECRET: secret(32),
      ...paymentsShape,
      STELLAR_ACTIVATION_AMOUNT: xlmAmount.default('2'),
      STELLAR_MAX_FEE_STROOPS: stellarMaxFee,
      /** Upper bound of a Stellar transaction's validity; after it an envelope never seen cannot land. */
      STELLAR_TX_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(300).default(60),
      /** Blocks on top of an EVM transfer's block before it is credited. */
      EVM_CONFIRMATIONS: z.coerce.number().int().min(0).max(1000).default(3),
      /** How often the EVM watcher polls for new blocks. */
      EVM_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
      /** Block explorer for the EVM chain's transaction links; well-known chains have one built in. */
      EVM_EXPLORER_URL: z.url({ protocol: /^https?$/ }).optional(),
      LOG_LEVEL: logLevel,
    },
    env,
  );
  return { ...raw, stellar: resolveStellar(raw) };
}
export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

/** Configuration of the key service: the only process that receives the master key. */
export function loadSignerConfig(env: NodeJS.ProcessEnv = process.env) {
  const raw = parseEnv(
    {
      ...stellarShape,
      EVM_CHAIN_ID: chainId,
      SIGNER_URL: url,
      SIGNER_AUTH_SECRET: secret(32),
      SIGNER_MASTER_KEY: base64Key32,
      SIGNER_DATABASE_URL: url,
      LOG_LEVEL: logLevel,
      // The kill switch: every signature refused, key creation still allowed.
      SIGNER_PAUSED: z
        .enum(['true', 'false'], 'must be true or false')
        .default('false')
        .transform((value) => value === 'true'),
      // Format in core/signer-protocol/daily-limits.ts; unset: no daily limits.
      SIGNER_DAILY_LIMITS: dailyLimitsSchema.default([]),
      SIGNER_STELLAR_MAX_VALIDITY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
    },
    env,
  );
  return { ...raw, stellar: resolveStellar(raw) };
}
export type SignerConfig = ReturnType<typeof loadSignerConfig>;
