import { z } from 'zod';
import { ConfigError } from './errors.ts';

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
const evmShape = {
  EVM_RPC_URL: url,
  EVM_CHAIN_ID: chainId,
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
      BOT_MODE: z.enum(['polling', 'webhook']).default('polling'),
      WEBHOOK_URL: url.optional(),
      WEBHOOK_SECRET: z
        .string()
        .regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16-256 characters of A-Z a-z 0-9 _ -')
        .optional(),
      PORT: port.default(3000),
      LOG_LEVEL: logLevel,
      BOT_ADMIN_IDS: z.string().optional(),
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
      STELLAR_ACTIVATION_AMOUNT: xlmAmount.default('2'),
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
    },
    env,
  );
  return { ...raw, stellar: resolveStellar(raw) };
}
export type SignerConfig = ReturnType<typeof loadSignerConfig>;
