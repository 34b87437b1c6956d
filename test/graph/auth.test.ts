import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { authPlugin } from '../../src/graph/auth.ts';
import { compose } from '../../src/graph/client.ts';
import { createHttpAgent } from '../../src/graph/http-agent.ts';
import { createTransport } from '../../src/graph/transport.ts';
import type { AccessToken, TokenProvider } from '../../src/graph/types.ts';
import { graphErrorBody, json, startServer } from './helpers.ts';

const http = createHttpAgent({ env: {} });
after(() => http.close());

/** Hands out token-1, token-2, ... : a new one on each forced refresh. */
class CountingTokens implements TokenProvider {
  issued = 0;
  forced = 0;
  #current: AccessToken | undefined;
  async getToken(options: { forceRefresh?: boolean } = {}): Promise<AccessToken> {
    if (options.forceRefresh) this.forced++;
    if (!this.#current || options.forceRefresh) {
      this.issued++;
      this.#current = { token: `token-${this.issued}`, expiresOn: Date.now() + 3_600_000, roles: [] };
    }
    return this.#current;
  }
}

describe('authPlugin', () => {
  it('sends the bearer token, and after a 401 forces one refresh and retries once', async () => {
    const server = await startServer((req, res) =>
      req.headers.authorization === 'Bearer token-2'
        ? json(res, 200, { ok: true })
        : json(
            res,
            401,
            graphErrorBody('InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'),
          ),
    );
    const tokens = new CountingTokens();
    const send = compose([authPlugin(tokens)], createTransport({ graphEndpoint: server.url, http }));
    try {
      const response = await send({ method: 'GET', url: '/users' });
      assert.equal(response.status, 200);
      assert.equal(tokens.forced, 1);
      assert.deepEqual(
        server.requests.map((r) => r.headers.authorization),
        ['Bearer token-1', 'Bearer token-2'],
      );
      await send({ method: 'GET', url: '/users' });
      assert.equal(tokens.forced, 1, 'the refreshed token is reused');
    } finally {
      await server.close();
    }
  });

  it('lets a persistent 401 through after a single retry', async () => {
    const server = await startServer((_req, res) => json(res, 401, graphErrorBody('Unauthorized', 'nope')));
    const tokens = new CountingTokens();
    const send = compose([authPlugin(tokens)], createTransport({ graphEndpoint: server.url, http }));
    try {
      await assert.rejects(send({ method: 'GET', url: '/admin/exchange/tracing/messageTraces' }), {
        status: 401,
      });
      assert.equal(server.requests.length, 2);
      assert.equal(tokens.forced, 1);
    } finally {
      await server.close();
    }
  });

  it('does not refresh on 403', async () => {
    const server = await startServer((_req, res) => json(res, 403, graphErrorBody('ErrorAccessDenied')));
    const tokens = new CountingTokens();
    const send = compose([authPlugin(tokens)], createTransport({ graphEndpoint: server.url, http }));
    try {
      await assert.rejects(send({ method: 'GET', url: '/users/a/messages' }), { status: 403 });
      assert.equal(server.requests.length, 1);
      assert.equal(tokens.forced, 0);
    } finally {
      await server.close();
    }
  });
});
