import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  const token = '123456:SECRETSECRETSECRETSECRET';

  it('masks a secret wherever it appears, even inside a URL or an error message', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 't', level: 'info', secrets: [token], destination });
    logger.error({ err: new Error(`fetch https://api.telegram.org/bot${token}/getMe failed`) }, 'boom');
    logger.info({ url: `https://x/bot${encodeURIComponent(token)}/sendMessage` }, 'call');
    const output = lines.join('');
    expect(output).not.toContain(token);
    expect(output).not.toContain(encodeURIComponent(token));
    expect(output).toContain('[redacted]');
  });

  it('redacts fields named like secrets whatever their value', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 't', level: 'info', destination });
    logger.info({ config: { secret: 'hunter2-hunter2', seed: 'SABC' }, token: 'tok-123' }, 'x');
    const output = lines.join('');
    expect(output).not.toMatch(/hunter2|SABC|tok-123/);
  });
});
