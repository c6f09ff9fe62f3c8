import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SIGNER_AUTH_WINDOW_MS,
  canonicalRequest,
  signRequest,
  signerAuthHeaders,
  verifyRequestAuth,
  type VerifyRequestInput,
} from './auth.ts';

const secret = randomBytes(32).toString('hex');
const body = Buffer.from('{"chain":"stellar","ref":"wallet:1:stellar"}');
const now = 1_700_000_000_000;

function signed(overrides: Partial<Parameters<typeof signRequest>[0]> = {}): VerifyRequestInput {
  const headers = signRequest({
    secret,
    method: 'POST',
    path: '/v1/keys',
    body,
    timestamp: now,
    ...overrides,
  });
  return { secret, method: 'POST', path: '/v1/keys', body, headers, now };
}

describe('the canonical request', () => {
  it('is method, path, timestamp, request id and the body digest, one per line', () => {
    const digest = createHash('sha256').update(body).digest('hex');
    expect(
      canonicalRequest({
        method: 'post',
        path: '/v1/keys',
        timestamp: '17',
        requestId: 'ab'.repeat(16),
        body,
      }),
    ).toBe(`POST\n/v1/keys\n17\n${'ab'.repeat(16)}\n${digest}`);
  });

  it('digests an empty body like any other', () => {
    const emptyDigest = createHash('sha256').update('').digest('hex');
    expect(
      canonicalRequest({ method: 'GET', path: '/v1/health', timestamp: '1', requestId: 'x', body: '' }),
    ).toMatch(new RegExp(`\\n${emptyDigest}$`));
  });
});

describe('signing a request', () => {
  it('sends an HMAC-SHA256 of the canonical request under the shared secret', () => {
    const headers = signRequest({ secret, method: 'POST', path: '/v1/keys', body, timestamp: now });
    const requestId = headers[signerAuthHeaders.requestId]!;
    const canonical = `POST\n/v1/keys\n${now}\n${requestId}\n${createHash('sha256').update(body).digest('hex')}`;
    expect(headers[signerAuthHeaders.signature]).toBe(
      createHmac('sha256', secret).update(canonical).digest('hex'),
    );
    expect(headers[signerAuthHeaders.timestamp]).toBe(String(now));
  });

  it('uses a fresh random request id of 16 bytes each time', () => {
    const first = signRequest({ secret, method: 'GET', path: '/v1/health', body: '' });
    const second = signRequest({ secret, method: 'GET', path: '/v1/health', body: '' });
    expect(first[signerAuthHeaders.requestId]).toMatch(/^[0-9a-f]{32}$/);
    expect(first[signerAuthHeaders.requestId]).not.toBe(second[signerAuthHeaders.requestId]);
  });
});

describe('verifying a request', () => {
  it('accepts a correctly signed, fresh request', () => {
    const input = signed();
    expect(verifyRequestAuth(input)).toMatchObject({ ok: true, timestamp: now });
  });

  describe('when any signed part was changed in transit', () => {
    it.each([
      ['the method', { method: 'PUT' }],
      ['the path', { path: '/v1/sign/stellar' }],
      ['the body', { body: Buffer.from('{"chain":"evm","ref":"wallet:1:stellar"}') }],
    ])('refuses a changed %s', (_part, change) => {
      expect(verifyRequestAuth({ ...signed(), ...change })).toMatchObject({
        ok: false,
        code: 'UNAUTHENTICATED',
      });
    });

    it('refuses a changed timestamp or request id', () => {
      const input = signed();
      const laterTimestamp = { ...input.headers, [signerAuthHeaders.timestamp]: String(now + 1) };
      const otherId = { ...input.headers, [signerAuthHeaders.requestId]: 'cd'.repeat(16) };
      expect(verifyRequestAuth({ ...input, headers: laterTimestamp })).toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      expect(verifyRequestAuth({ ...input, headers: otherId })).toMatchObject({ code: 'UNAUTHENTICATED' });
    });
  });

  it('refuses a request signed with another secret', () => {
    const input = signed({ secret: randomBytes(32).toString('hex') });
    expect(verifyRequestAuth(input)).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
  });

  it('refuses a request without authentication headers', () => {
    expect(verifyRequestAuth({ ...signed(), headers: {} })).toMatchObject({
      ok: false,
      code: 'UNAUTHENTICATED',
    });
  });

  it('refuses malformed headers before computing anything', () => {
    const input = signed();
    const shortId = signed({ requestId: 'ab'.repeat(8) });
    const repeated = {
      ...input.headers,
      [signerAuthHeaders.signature]: [input.headers[signerAuthHeaders.signature]],
    };
    expect(verifyRequestAuth(shortId)).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' });
    expect(verifyRequestAuth({ ...input, headers: repeated as never })).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  describe('when the timestamp is outside the window', () => {
    it('refuses a request sent 31 s ago as stale', () => {
      const input = signed({ timestamp: now - SIGNER_AUTH_WINDOW_MS - 1_000 });
      expect(verifyRequestAuth(input)).toMatchObject({ ok: false, code: 'STALE_REQUEST' });
    });

    it('refuses a request dated 31 s ahead as stale', () => {
      const input = signed({ timestamp: now + SIGNER_AUTH_WINDOW_MS + 1_000 });
      expect(verifyRequestAuth(input)).toMatchObject({ ok: false, code: 'STALE_REQUEST' });
    });

    it('accepts a request right at the edge of the window', () => {
      expect(verifyRequestAuth(signed({ timestamp: now - SIGNER_AUTH_WINDOW_MS }))).toMatchObject({
        ok: true,
      });
    });

    it('reports a bad signature rather than staleness when both are wrong', () => {
      const input = signed({ timestamp: now - 60_000, secret: randomBytes(32).toString('hex') });
      expect(verifyRequestAuth(input)).toMatchObject({ code: 'UNAUTHENTICATED' });
    });
  });
});
