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
});
