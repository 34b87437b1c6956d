import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import * as der from '../../src/simulator/der.ts';
import { issueCertificate } from '../../src/simulator/tls.ts';
import { startTestSimulator } from './core-fixtures.ts';

const notBefore = new Date(Date.now() - 3_600_000);
const notAfter = new Date(Date.now() + 86_400_000);

describe('DER encoder', () => {
  it('encodes lengths in short and long form', () => {
    assert.deepEqual([...der.octetString(Buffer.alloc(3))].slice(0, 2), [0x04, 3]);
    assert.deepEqual([...der.octetString(Buffer.alloc(200))].slice(0, 3), [0x04, 0x81, 200]);
    assert.deepEqual([...der.octetString(Buffer.alloc(300))].slice(0, 4), [0x04, 0x82, 0x01, 0x2c]);
  });

  it('encodes OIDs, integers and named bit strings as DER requires', () => {
    assert.equal(der.objectIdentifier('1.2.840.113549.1.1.11').toString('hex'), '06092a864886f70d01010b');
    assert.equal(der.smallInteger(0).toString('hex'), '020100');
    assert.equal(der.smallInteger(128).toString('hex'), '02020080');
    assert.equal(der.unsignedInteger(Buffer.from([0, 0, 5])).toString('hex'), '020105');
    // keyCertSign (5) + cRLSign (6): one byte 0x06 with one unused trailing bit
    assert.equal(der.namedBits([5, 6]).toString('hex'), '03020106');
    assert.equal(der.time(new Date('2049-12-31T23:59:59Z')).toString('ascii').slice(2), '491231235959Z');
    assert.equal(der.time(new Date('2050-01-01T00:00:00Z'))[0], 0x18);
  });
});

describe('certificates', () => {
  const ca = issueCertificate({ commonName: 'Test CA', profile: { kind: 'ca' }, notBefore, notAfter });
  const server = issueCertificate({
    commonName: '127.0.0.1',
    profile: { kind: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] },
    issuer: ca,
    notBefore,
    notAfter,
  });

  it('makes a self-signed CA that node:crypto accepts as a CA', () => {
    const x509 = new X509Certificate(ca.certificatePem);
    assert.equal(x509.ca, true);
    assert.equal(x509.checkIssued(x509), true);
    assert.equal(x509.verify(x509.publicKey), true);
    assert.match(x509.subject, /CN=Test CA/);
    assert.equal(x509.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  });

  it('makes a server certificate issued and signed by the CA, for 127.0.0.1 and localhost, serverAuth', () => {
    const x509 = new X509Certificate(server.certificatePem);
    const issuer = new X509Certificate(ca.certificatePem);
    assert.equal(x509.ca, false);
    assert.equal(x509.checkIssued(issuer), true);
    assert.equal(x509.verify(issuer.publicKey), true);
    assert.equal(x509.verify(x509.publicKey), false);
    assert.equal(x509.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(x509.checkHost('localhost'), 'localhost');
    assert.deepEqual(x509.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(new Date(x509.validTo).getTime(), Math.floor(notAfter.getTime() / 1000) * 1000);
  });

  it('serves HTTPS that a client trusting only the CA accepts, and one trusting nothing refuses', async () => {
    const t = await startTestSimulator();
    try {
      const trusting = new Agent({ connect: { ca: t.sim.caCertPem } });
      const res = await fetch(`${t.sim.url}/common/discovery/instance?api-version=1.1`, {
        dispatcher: trusting,
      });
      assert.equal(res.status, 200);
      await trusting.close();
      const untrusting = new Agent({ connect: { ca: [] as string[] } });
      await assert.rejects(fetch(`${t.sim.url}/common/discovery/instance`, { dispatcher: untrusting }));
      await untrusting.close();
      const localhost = new Agent({ connect: { ca: t.sim.caCertPem } });
      const viaName = await fetch(
        t.sim.url.replace('127.0.0.1', 'localhost') + '/common/discovery/instance',
        {
          dispatcher: localhost,
        },
      );
      assert.equal(viaName.status, 200);
      await localhost.close();
    } finally {
      await t.close();
    }
  });
});
