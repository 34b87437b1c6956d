// A test CA and a 127.0.0.1 server certificate it signed, with the CA written to a PEM file (the sinks' caFile).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate } from '../../../src/simulator/tls.ts';
import type { ServerTls } from './base.ts';

export interface TestTls {
  server: ServerTls;
  caFile: string;
}

let cached: TestTls | undefined;

export function testTls(): TestTls {
  if (cached) return cached;
  const now = Date.now();
  const validity = { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 86_400_000) };
  const ca = issueCertificate({ commonName: 'mailtrace sink test CA', profile: { kind: 'ca' }, ...validity });
  const leaf = issueCertificate({
    commonName: '127.0.0.1',
    profile: { kind: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] },
    issuer: ca,
    ...validity,
  });
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-sink-ca-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.certificatePem);
  cached = { server: { key: leaf.privateKeyPem, cert: leaf.certificatePem }, caFile };
  return cached;
}
