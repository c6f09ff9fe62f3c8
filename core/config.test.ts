import { describe, expect, it } from 'vitest';
import { loadBotConfig, loadSignerConfig, loadWorkerConfig } from './config.ts';
import { ConfigError } from './errors.ts';

const botEnv = {
  BOT_TOKEN: '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/app',
  REDIS_URL: 'redis://127.0.0.1:6379',
  EVM_RPC_URL: 'http://127.0.0.1:8545',
  EVM_CHAIN_ID: '31337',
};

function errorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadBotConfig', () => {
  it('applies the testnet preset by default', () => {
    const config = loadBotConfig(botEnv);
    expect(config.stellar.passphrase).toBe('Test SDF Network ; September 2015');
    expect(config.stellar.friendbotUrl).toBe('https://friendbot.stellar.org');
    expect(config.BOT_MODE).toBe('polling');
    expect(config.EVM_CHAIN_ID).toBe(31337);
  });

  describe('when a variable is missing', () => {
    it('names it in one line', () => {
      const { BOT_TOKEN: _, ...rest } = botEnv;
      const error = errorOf(() => loadBotConfig(rest));
      expect(error.variable).toBe('BOT_TOKEN');
      expect(error.message).toBe('BOT_TOKEN: is required');
      expect(error.message).not.toContain('\n');
    });
    it('treats an empty value as missing', () => {
      expect(errorOf(() => loadBotConfig({ ...botEnv, DATABASE_URL: '' })).message).toBe(
        'DATABASE_URL: is required',
      );
    });
  });

  describe('when a variable is malformed', () => {
    it('says what is wrong without echoing the value', () => {
      const error = errorOf(() => loadBotConfig({ ...botEnv, BOT_TOKEN: 'not-a-token-secret-value' }));
      expect(error.variable).toBe('BOT_TOKEN');
      expect(error.message).not.toContain('not-a-token-secret-value');
    });
    it('refuses a chain id that is not a positive integer', () => {
      expect(errorOf(() => loadBotConfig({ ...botEnv, EVM_CHAIN_ID: '-3' })).variable).toBe('EVM_CHAIN_ID');
    });
  });

  it('requires the webhook URL and secret in webhook mode', () => {
    expect(errorOf(() => loadBotConfig({ ...botEnv, BOT_MODE: 'webhook' })).variable).toBe('WEBHOOK_URL');
    expect(
      errorOf(() =>
        loadBotConfig({ ...botEnv, BOT_MODE: 'webhook', WEBHOOK_URL: 'https://example.org/hook' }),
      ).variable,
    ).toBe('WEBHOOK_SECRET');
  });

  it('requires Horizon and a passphrase for a custom network', () => {
    expect(errorOf(() => loadBotConfig({ ...botEnv, STELLAR_NETWORK: 'custom' })).variable).toBe(
      'STELLAR_HORIZON_URL',
    );
  });

  it('has no friendbot on the public network', () => {
    expect(loadBotConfig({ ...botEnv, STELLAR_NETWORK: 'public' }).stellar.friendbotUrl).toBeUndefined();
  });
});

describe('loadWorkerConfig', () => {
  it('needs the signer auth secret and has no default for it', () => {
    expect(errorOf(() => loadWorkerConfig({ ...botEnv, SIGNER_URL: 'http://127.0.0.1:8787' })).variable).toBe(
      'SIGNER_AUTH_SECRET',
    );
  });

  describe('the Stellar fee cap', () => {
    const workerEnv = { ...botEnv, SIGNER_URL: 'http://127.0.0.1:8787', SIGNER_AUTH_SECRET: 'x'.repeat(32) };

    it('offers at most 0.001 XLM per operation by default, and the bot checks sends with the same cap', () => {
      expect(loadWorkerConfig(workerEnv).STELLAR_MAX_FEE_STROOPS).toBe(10_000);
      expect(loadBotConfig(botEnv).STELLAR_MAX_FEE_STROOPS).toBe(10_000);
      expect(
        loadWorkerConfig({ ...workerEnv, STELLAR_MAX_FEE_STROOPS: '50000' }).STELLAR_MAX_FEE_STROOPS,
      ).toBe(50_000);
    });

    it('refuses a cap below the protocol minimum, above the signer’s ceiling, or not a whole number', () => {
      for (const value of ['99', '10000001', '150.5', 'lots', '-1'])
        expect(
          errorOf(() => loadWorkerConfig({ ...workerEnv, STELLAR_MAX_FEE_STROOPS: value })).variable,
          value,
        ).toBe('STELLAR_MAX_FEE_STROOPS');
    });
  });
});

describe('loadSignerConfig', () => {
  const signerEnv = {
    EVM_CHAIN_ID: '31337',
    SIGNER_URL: 'http://127.0.0.1:8787',
    SIGNER_AUTH_SECRET: 'x'.repeat(32),
    SIGNER_DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/app',
  };
  it('refuses a master key that is not 32 bytes of base64', () => {
    const error = errorOf(() =>
      loadSignerConfig({ ...signerEnv, SIGNER_MASTER_KEY: Buffer.alloc(16).toString('base64') }),
    );
    expect(error.variable).toBe('SIGNER_MASTER_KEY');
  });
  it('accepts 32 random bytes', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadSignerConfig({ ...signerEnv, SIGNER_MASTER_KEY: key }).SIGNER_MASTER_KEY).toBe(key);
  });

  describe('signing policy settings', () => {
    const withKey = { ...signerEnv, SIGNER_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };
    const issuer = `G${'A'.repeat(55)}`;
    const token = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';

    it('is unpaused, without daily limits and with a 300 s Stellar validity window by default', () => {
      expect(loadSignerConfig(withKey)).toMatchObject({
        SIGNER_PAUSED: false,
        SIGNER_DAILY_LIMITS: [],
        SIGNER_STELLAR_MAX_VALIDITY_SECONDS: 300,
      });
    });

    it('reads the kill switch and refuses anything but true or false', () => {
      expect(loadSignerConfig({ ...withKey, SIGNER_PAUSED: 'true' }).SIGNER_PAUSED).toBe(true);
      expect(errorOf(() => loadSignerConfig({ ...withKey, SIGNER_PAUSED: 'yes' })).message).toBe(
        'SIGNER_PAUSED: must be true or false',
      );
    });

    it('reads daily limits per key kind and asset, in base units', () => {
      const config = loadSignerConfig({
        ...withKey,
        SIGNER_DAILY_LIMITS: `wallet:stellar:native=1000, wallet:stellar:USDC:${issuer}=0.5,
          wallet:evm:1:native=0.25, wallet:evm:1:${token}:6=250, treasury:stellar:native=200.0000001`,
      });
      expect(config.SIGNER_DAILY_LIMITS).toEqual([
        { keyKind: 'wallet', asset: 'stellar:native', amountBase: 10_000_000_000n, decimals: 7 },
        { keyKind: 'wallet', asset: `stellar:USDC:${issuer}`, amountBase: 5_000_000n, decimals: 7 },
        { keyKind: 'wallet', asset: 'evm:1:native', amountBase: 250_000_000_000_000_000n, decimals: 18 },
        { keyKind: 'wallet', asset: `evm:1:${token.toLowerCase()}`, amountBase: 250_000_000n, decimals: 6 },
        { keyKind: 'treasury', asset: 'stellar:native', amountBase: 2_000_000_001n, decimals: 7 },
      ]);
    });

    it.each([
      [
        'wallet:stellar:native',
        'SIGNER_DAILY_LIMITS: entry 1 (wallet:stellar:native): must be <key kind>:<asset>=<amount>',
      ],
      [
        'wallet:stellar:native=1.00000001',
        'SIGNER_DAILY_LIMITS: entry 1 (wallet:stellar:native): the amount must be a decimal number with at most 7 decimals',
      ],
      [
        'wallet:stellar:native=1, wallet:evm:1:0x12=5',
        'SIGNER_DAILY_LIMITS: entry 2 (wallet:evm:1:0x12): an EVM asset is evm:<chain id>:native or evm:<chain id>:<0x… token>:<decimals>',
      ],
      [
        'wallet:stellar:USDC=5',
        'SIGNER_DAILY_LIMITS: entry 1 (wallet:stellar:USDC): a Stellar asset is stellar:native or stellar:<code>:<G… issuer>',
      ],
      [
        'wallet:solana:native=5',
        'SIGNER_DAILY_LIMITS: entry 1 (wallet:solana:native): the asset must start with stellar: or evm:',
      ],
      [
        'wallet:stellar:native=5,wallet:stellar:native=6',
        'SIGNER_DAILY_LIMITS: entry 2 (wallet:stellar:native): the same key kind and asset appear in an earlier entry',
      ],
    ])('refuses %j in one line naming the entry', (value, message) => {
      expect(errorOf(() => loadSignerConfig({ ...withKey, SIGNER_DAILY_LIMITS: value })).message).toBe(
        message,
      );
    });

    it('bounds the Stellar validity window', () => {
      expect(
        loadSignerConfig({ ...withKey, SIGNER_STELLAR_MAX_VALIDITY_SECONDS: '60' })
          .SIGNER_STELLAR_MAX_VALIDITY_SECONDS,
      ).toBe(60);
      expect(
        errorOf(() => loadSignerConfig({ ...withKey, SIGNER_STELLAR_MAX_VALIDITY_SECONDS: '0' })).variable,
      ).toBe('SIGNER_STELLAR_MAX_VALIDITY_SECONDS');
    });
  });
});
