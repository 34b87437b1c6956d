import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GraphError } from '../../src/graph/errors.ts';
import { CaBundleError, createHttpAgent, loadCa } from '../../src/graph/http-agent.ts';
import { createTransport } from '../../src/graph/transport.ts';
import { issueCertificate } from '../../src/simulator/tls.ts';

const now = Date.now();
const validity = { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 86_400_000) };
const ca = issueCertificate({ commonName: 'mailtrace test CA', profile: { kind: 'ca' }, ...validity });
const leaf = issueCertificate({
  commonName: '127.0.0.1',
  profile: { kind: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] },
  issuer: ca,
  ...validity,
});

describe('http agent', () => {
  let origin: string;
  let proxyUrl: string;
  const connects: string[] = [];
  const closers: (() => void)[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-ca-'));

  before(async () => {
    const server = createHttpsServer({ key: leaf.privateKeyPem, cert: leaf.certificatePem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    closers.push(() => {
      server.closeAllConnections();
      server.close();
    });
    // A minimal CONNECT proxy that records the tunnels it opens.
    const proxy = createHttpServer();
    proxy.on('connect', (req, socket, head) => {
      connects.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    closers.push(() => {
      proxy.closeAllConnections();
      proxy.close();
    });
  });
  after(() => {
    for (const close of closers) close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails with TlsError (not retried as a network error) when the CA is not trusted', async () => {
    const http = createHttpAgent({ env: {} });
    try {
      const send = createTransport({ graphEndpoint: origin, http });
      await assert.rejects(send({ method: 'GET', url: '/users' }), (e: unknown) => {
        assert.ok(e instanceof GraphError);
        assert.equal(e.code, 'TlsError');
        assert.match(e.message, /CA bundle/);
        return true;
      });
    } finally {
      await http.close();
    }
  });

  it('trusts a CA given as PEM text or as a file', async () => {
    const file = join(dir, 'ca.pem');
    writeFileSync(file, ca.certificatePem);
    for (const options of [{ caPem: ca.certificatePem }, { caFile: file }]) {
      const http = createHttpAgent({ ...options, env: {} });
      try {
        const response = await createTransport({ graphEndpoint: origin, http })({
          method: 'GET',
          url: '/users',
        });
        assert.deepEqual(response.body, { ok: true });
        assert.equal(http.proxied, false);
      } finally {
        await http.close();
      }
    }
  });

  it('tunnels through HTTPS_PROXY with the CA applied to the origin, and honours NO_PROXY', async () => {
    const proxied = createHttpAgent({ caPem: ca.certificatePem, env: { HTTPS_PROXY: proxyUrl } });
    try {
      assert.equal(proxied.proxied, true);
      const before = connects.length;
      const response = await createTransport({ graphEndpoint: origin, http: proxied })({
        method: 'GET',
        url: '/x',
      });
      assert.deepEqual(response.body, { ok: true });
      assert.equal(connects.length, before + 1);
      assert.equal(connects.at(-1), new URL(origin).host);
    } finally {
      await proxied.close();
    }
    const bypass = createHttpAgent({
      caPem: ca.certificatePem,
      env: { https_proxy: proxyUrl, NO_PROXY: '127.0.0.1' },
    });
    try {
      const before = connects.length;
      await createTransport({ graphEndpoint: origin, http: bypass })({ method: 'GET', url: '/x' });
      assert.equal(connects.length, before, 'NO_PROXY host goes direct');
    } finally {
      await bypass.close();
    }
  });

  it('explains unreadable CA bundles', () => {
    assert.throws(() => loadCa({ caFile: join(dir, 'missing.pem') }), CaBundleError);
    assert.throws(() => loadCa({ caPem: 'not a certificate' }), /no PEM certificate/);
    assert.equal(loadCa({}), undefined);
    assert.equal(loadCa({ caPem: `${ca.certificatePem}\n${leaf.certificatePem}` })?.length, 2);
  });
});
