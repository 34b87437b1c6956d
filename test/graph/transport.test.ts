import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { GraphError } from '../../src/graph/errors.ts';
import { createHttpAgent } from '../../src/graph/http-agent.ts';
import { createLogger } from '../../src/graph/logger.ts';
import { createTransport } from '../../src/graph/transport.ts';
import { captureLines, graphErrorBody, json, startServer, type TestServer } from './helpers.ts';

const http = createHttpAgent({ env: {} });
after(() => http.close());

async function rejects(promise: Promise<unknown>): Promise<GraphError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GraphError, `expected GraphError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('transport', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(async (req, res) => {
      if (req.url.startsWith('/v1.0/users') || req.url.startsWith('/beta/')) {
        return json(
          res,
          200,
          { value: [{ id: '1' }], echo: req.body ? JSON.parse(req.body) : null },
          {
            'request-id': 'srv-req-1',
          },
        );
      }
      if (req.url.startsWith('/v1.0/no-content')) {
        res.writeHead(204).end();
        return;
      }
      if (req.url.startsWith('/v1.0/html')) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login page</html>');
        return;
      }
      if (req.url.startsWith('/v1.0/proxy-error')) {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>');
        return;
      }
      if (req.url.startsWith('/v1.0/missing')) {
        return json(
          res,
          404,
          graphErrorBody('MailboxNotEnabledForRESTAPI', 'REST API is not yet supported'),
          {
            'request-id': 'srv-req-404',
          },
        );
      }
      if (req.url.startsWith('/v1.0/slow')) {
        // Never answers: waits until the client gives up.
        await new Promise((resolve) => res.on('close', resolve));
        return;
      }
      json(res, 400, graphErrorBody('BadRequest', 'Invalid request'));
    });
  });
  after(() => server.close());

  it('resolves relative URLs under the version root and sends the standard headers', async () => {
    const send = createTransport({ graphEndpoint: `${server.url}/`, http });
    const response = await send<{ value: { id: string }[] }>({ method: 'GET', url: '/users?$top=5' });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.value, [{ id: '1' }]);
    assert.equal(response.requestId, 'srv-req-1');
    const seen = server.requests.at(-1)!;
    assert.equal(seen.url, '/v1.0/users?$top=5');
    assert.equal(seen.headers.accept, 'application/json');
    assert.match(seen.headers['client-request-id'] as string, /^[0-9a-f-]{36}$/);
    assert.equal(seen.headers['client-request-id'], response.clientRequestId);
    const noSlash = await send({ method: 'GET', url: 'users' });
    assert.equal(noSlash.status, 200);
    assert.equal(server.requests.at(-1)!.url, '/v1.0/users');
  });

  it('serialises JSON bodies, honours the beta version and same-origin absolute nextLinks', async () => {
    const send = createTransport({ graphEndpoint: server.url, http, version: 'beta' });
    const response = await send<{ echo: unknown }>({
      method: 'POST',
      url: '/$batch',
      body: { requests: [] },
    });
    assert.deepEqual(response.body.echo, { requests: [] });
    const seen = server.requests.at(-1)!;
    assert.equal(seen.url, '/beta/$batch');
    assert.equal(seen.headers['content-type'], 'application/json');
    await send({ method: 'GET', url: `${server.url}/v1.0/users?$skiptoken=abc` });
    assert.equal(server.requests.at(-1)!.url, '/v1.0/users?$skiptoken=abc');
  });

  it('never follows a redirect, to another host or to another Graph path', async () => {
    const foreign = await startServer((_req, res) => json(res, 200, { value: [] }));
    const redirecting = await startServer((req, res) => {
      const to = req.url.includes('away') ? `${foreign.url}/v1.0/users?token=leak` : '/v1.0/users';
      res.writeHead(req.url.includes('away') ? 307 : 302, { location: to }).end();
    });
    try {
      const send = createTransport({ graphEndpoint: redirecting.url, http });
      const away = await rejects(
        send({ method: 'GET', url: '/away', headers: { authorization: 'Bearer secret-token-123456' } }),
      );
      assert.equal(away.code, 'Redirected');
      assert.equal(away.status, 307);
      assert.match(away.message, new RegExp(`redirecting to ${foreign.url}/v1\\.0/users;`));
      assert.doesNotMatch(away.message, /leak/, 'the query of the target is not quoted');
      const local = await rejects(send({ method: 'GET', url: '/admin/exchange/tracing/messageTraces' }));
      assert.equal(local.code, 'Redirected');
      assert.equal(foreign.requests.length, 0, 'the other host was never asked');
      assert.equal(redirecting.requests.length, 2, 'and the redirect target path was not requested either');
    } finally {
      await Promise.all([foreign.close(), redirecting.close()]);
    }
  });

  it('reads at most maxResponseBytes of a (decompressed) answer: a gzip bomb stops there', async () => {
    const page = JSON.stringify({ value: [{ id: '1' }] });
    // 8 MiB of spaces compress to a few KB: well past a 1 MiB cap once inflated.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"value":['), Buffer.alloc(8 * 1024 * 1024, 32), Buffer.from(']}')]));
    const compressing = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(req.url.includes('bomb') ? bomb : gzipSync(page));
    });
    try {
      const send = createTransport({ graphEndpoint: compressing.url, http, maxResponseBytes: 1024 * 1024 });
      const fine = await send<{ value: { id: string }[] }>({ method: 'GET', url: '/users' });
      assert.deepEqual(fine.body.value, [{ id: '1' }], 'a compressed answer within the cap is read');
      const error = await rejects(send({ method: 'GET', url: '/bomb' }));
      assert.equal(error.code, 'ResponseTooLarge');
      assert.match(error.message, /exceeded 1048576 bytes/);
    } finally {
      await compressing.close();
    }
  });

  it('refuses absolute URLs on another origin without sending anything', async () => {
    const foreign = await startServer((_req, res) => json(res, 200, {}));
    try {
      const send = createTransport({ graphEndpoint: server.url, http });
      for (const url of [
        `${foreign.url}/v1.0/users?$skiptoken=x`,
        'https://evil.example/v1.0/users',
        '//evil.example/v1.0/users',
        server.url.replace('http:', 'https:') + '/v1.0/users',
      ]) {
        const error = await rejects(
          send({ method: 'GET', url, headers: { authorization: 'Bearer secret-token-123456' } }),
        );
        assert.equal(error.code, 'UnsafeUrl');
        assert.equal(error.status, 0);
      }
      assert.equal(foreign.requests.length, 0);
    } finally {
      await foreign.close();
    }
  });

  it('turns Graph error bodies into GraphError with request details', async () => {
    const send = createTransport({ graphEndpoint: server.url, http });
    const error = await rejects(send({ method: 'GET', url: '/missing/users/x/messages' }));
    assert.equal(error.status, 404);
    assert.equal(error.code, 'MailboxNotEnabledForRESTAPI');
    assert.equal(error.requestId, 'srv-req-404');
    assert.match(error.clientRequestId ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(error.request, { method: 'GET', url: `${server.url}/v1.0/missing/users/x/messages` });
  });

  it('handles empty, non-JSON success and non-JSON error bodies', async () => {
    const send = createTransport({ graphEndpoint: server.url, http });
    const empty = await send({ method: 'DELETE', url: '/no-content' });
    assert.equal(empty.status, 204);
    assert.equal(empty.body, undefined);
    const invalid = await rejects(send({ method: 'GET', url: '/html' }));
    assert.equal(invalid.code, 'InvalidResponse');
    assert.equal(invalid.status, 200);
    const proxy = await rejects(send({ method: 'GET', url: '/proxy-error' }));
    assert.equal(proxy.status, 502);
    assert.match(proxy.message, /Bad Gateway/);
  });

  it('times out slow answers with code Timeout', async () => {
    const send = createTransport({ graphEndpoint: server.url, http, timeoutMs: 100 });
    const started = Date.now();
    const error = await rejects(send({ method: 'GET', url: '/slow' }));
    assert.equal(error.code, 'Timeout');
    assert.equal(error.status, 0);
    assert.ok(Date.now() - started < 1500);
  });

  it("passes the caller's abort through unchanged and promptly", async () => {
    const send = createTransport({ graphEndpoint: server.url, http });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('user cancelled')), 50);
    await assert.rejects(send({ method: 'GET', url: '/slow', signal: controller.signal }), /user cancelled/);
    assert.ok(Date.now() - started < 1500);
    await assert.rejects(send({ method: 'GET', url: '/users', signal: AbortSignal.abort() }), {
      name: 'AbortError',
    });
  });

  it('reports a refused connection as NetworkError with its cause', async () => {
    const closed = await startServer((_req, res) => json(res, 200, {}));
    await closed.close();
    const send = createTransport({ graphEndpoint: closed.url, http });
    const error = await rejects(send({ method: 'GET', url: '/users' }));
    assert.equal(error.code, 'NetworkError');
    assert.equal(error.status, 0);
    assert.match(error.message, /ECONNREFUSED/);
    assert.ok(error.cause);
  });

  it('logs each exchange at debug level without the token', async () => {
    const { lines, write } = captureLines();
    const send = createTransport({
      graphEndpoint: server.url,
      http,
      logger: createLogger({ debug: true, write, env: {} }),
    });
    const token = 'eyJ0eXAiOiJKV1QifQ.eyJyb2xlcyI6W119.c2lnbmF0dXJl';
    await send({ method: 'GET', url: '/users', headers: { authorization: `Bearer ${token}` } });
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!);
    assert.equal(line.event, 'graph.response');
    assert.equal(line.status, 200);
    assert.equal(line.requestId, 'srv-req-1');
    assert.equal(typeof line.durationMs, 'number');
    assert.equal(lines[0]!.includes(token), false);
  });
});
