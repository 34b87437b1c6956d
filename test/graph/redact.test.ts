import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/graph/logger.ts';
import { REDACTED, redact, redactString, redactUrl, registerSecret } from '../../src/graph/redact.ts';
import { captureLines } from './helpers.ts';

// Realistic secrets of every kind the tool handles.
const JWT =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6IkFCQyJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20iLCJyb2xlcyI6WyJNYWlsLlJlYWRCYXNpYy5BbGwiXX0.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMTIzNDU2Nzg5MA';
const CLIENT_SECRET = 'Xq28Q~Zk3uV7yB1nT5rW9pL0sD4fG6hJ8kM2aC4e';
const OPAQUE_SECRET = 'opaque-secret-value-0123456789';
const INTAKE_KEY = 'e0b4c1f2a3d4e5f6a7b8c9d0';
const HEC_TOKEN = '5f1c8a0e-2b3d-4c5e-8f9a-0b1c2d3e4f5a';
const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const PRIVATE_KEY_BODY = PRIVATE_KEY.split('\n')[1] ?? '';

const ALL = [JWT, CLIENT_SECRET, OPAQUE_SECRET, INTAKE_KEY, HEC_TOKEN, PRIVATE_KEY_BODY];

function assertNoSecret(text: string) {
  for (const secret of ALL)
    assert.equal(text.includes(secret), false, `leaked ${secret.slice(0, 12)}… in ${text}`);
}

describe('redact', () => {
  it('removes secrets by key name, deep through objects and arrays', () => {
    const input = {
      tenantId: 'contoso.onmicrosoft.com',
      client_secret: OPAQUE_SECRET,
      credential: { clientSecret: OPAQUE_SECRET },
      sinks: [
        { type: 'sekoia', intake_key: INTAKE_KEY },
        { type: 'splunk', token: HEC_TOKEN },
      ],
      headers: { Authorization: `Bearer ${JWT}`, Accept: 'application/json' },
      apiKey: 'k-0123456789abcdef',
      privateKeyPem: PRIVATE_KEY,
      password: 'hunter2-hunter2',
    };
    const out = redact(input) as Record<string, unknown>;
    const text = JSON.stringify(out);
    assertNoSecret(text);
    assert.doesNotMatch(text, /hunter2|k-0123456789abcdef/);
    assert.equal(out.tenantId, 'contoso.onmicrosoft.com');
    assert.deepEqual((out.headers as Record<string, unknown>).Accept, 'application/json');
    assert.equal(out.client_secret, REDACTED);
    assert.deepEqual(input.client_secret, OPAQUE_SECRET, 'input is not mutated');
  });
  it('removes secrets by shape inside free text', () => {
    const text = [
      `Authorization: Bearer ${JWT}`,
      `assertion ${JWT}`,
      `the secret is ${CLIENT_SECRET}.`,
      `Authorization: Splunk ${HEC_TOKEN}`,
      `key file:\n${PRIVATE_KEY}`,
      `grant_type=client_credentials&client_secret=${encodeURIComponent(OPAQUE_SECRET)}&scope=x`,
      `{"intake_key":"${INTAKE_KEY}","jsons":[]}`,
    ].join('\n');
    const out = redactString(text);
    assertNoSecret(out);
    assert.match(out, /Bearer \[REDACTED\]/);
    assert.match(out, /Splunk \[REDACTED\]/);
    assert.match(out, /grant_type=client_credentials/);
    assert.match(out, /"jsons":\[\]/);
  });
  it('scrubs registered secrets whatever their shape', () => {
    const odd = 'plain words secret 9f8e7d6c5b';
    registerSecret(odd);
    assert.equal(redactString(`value=${odd}!`).includes(odd), false);
    registerSecret('short'); // too short to scrub safely
    assert.equal(redactString('a short text'), 'a short text');
  });
  it('handles errors, cycles, Headers, Maps and buffers', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const error = new Error(`token rejected: ${JWT}`, { cause: { access_token: JWT } });
    const out = redact({
      cyclic,
      error,
      headers: new Headers({ authorization: `Bearer ${JWT}`, 'request-id': 'r-1' }),
      map: new Map([['client_secret', OPAQUE_SECRET]]),
      buffer: Buffer.from(OPAQUE_SECRET),
    });
    const text = JSON.stringify(out);
    assertNoSecret(text);
    assert.match(text, /\[circular\]/);
    assert.match(text, /r-1/);
    assert.match(text, /token rejected/);
  });
  it('strips secret query values and user-info from URLs, keeping paging cursors', () => {
    assert.equal(
      redactUrl(
        `https://user:pw@graph.microsoft.com/v1.0/users?$skiptoken=abc&sig=${OPAQUE_SECRET}&access_token=${JWT}`,
      ),
      `https://graph.microsoft.com/v1.0/users?$skiptoken=abc&sig=${REDACTED}&access_token=${REDACTED}`,
    );
    assert.equal(
      redactUrl('/users?$top=5&%24filter=mail%20ne%20null'),
      '/users?$top=5&%24filter=mail%20ne%20null',
    );
  });
});

describe('logger', () => {
  it('writes JSON lines with every field redacted', () => {
    const { lines, write } = captureLines();
    const logger = createLogger({
      debug: true,
      write,
      env: {},
      now: () => Date.parse('2026-01-15T10:00:00Z'),
    });
    logger.debug('graph.request', {
      url: `https://graph.microsoft.com/v1.0/users?access_token=${JWT}`,
      headers: { authorization: `Bearer ${JWT}` },
      config: {
        clientSecret: OPAQUE_SECRET,
        sekoia: { intakeKey: INTAKE_KEY },
        splunk: { hecToken: HEC_TOKEN },
      },
      key: PRIVATE_KEY,
      note: `pasted ${CLIENT_SECRET}`,
    });
    logger.warn(`event with ${JWT}`, { level: 'spoof', status: 429 });
    assert.equal(lines.length, 2);
    for (const line of lines) assertNoSecret(line);
    const first = JSON.parse(lines[0] ?? '');
    assert.equal(first.time, '2026-01-15T10:00:00.000Z');
    assert.equal(first.level, 'debug');
    assert.equal(first.event, 'graph.request');
    const second = JSON.parse(lines[1] ?? '');
    assert.equal(second.level, 'warn');
    assert.equal(second['field.level'], 'spoof');
    assert.equal(second.status, 429);
  });
  it('drops debug lines unless debug is enabled by option or MAILTRACE_DEBUG=1', () => {
    const quiet = captureLines();
    createLogger({ write: quiet.write, env: {} }).debug('hidden');
    assert.equal(quiet.lines.length, 0);
    const fromEnv = captureLines();
    const logger = createLogger({ write: fromEnv.write, env: { MAILTRACE_DEBUG: '1' } });
    assert.equal(logger.level, 'debug');
    logger.debug('shown');
    assert.equal(fromEnv.lines.length, 1);
  });
});
