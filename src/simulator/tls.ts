// X.509 v3 certificates made in-process (no openssl): a self-signed CA for the simulator's HTTPS listener, the
// server certificate it signs, the token-signing certificate, and app client certificates for certificate auth.
import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import * as der from './der.ts';

const OID = {
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const KEY_USAGE_BIT = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface IssuedCertificate extends KeyPair {
  certificateDer: Buffer;
  certificatePem: string;
  privateKeyPem: string;
  subject: string;
}

export type CertificateProfile =
  | { kind: 'ca' }
  | { kind: 'server'; dnsNames: string[]; ipAddresses: string[] }
  | { kind: 'client' }
  | { kind: 'signing' };

export interface CertificateRequest {
  commonName: string;
  profile: CertificateProfile;
  notBefore: Date;
  notAfter: Date;
  /** Signs with this issuer; self-signed when absent. */
  issuer?: IssuedCertificate;
  keyPair?: KeyPair;
}

export function generateRsaKeyPair(modulusLength = 2048): KeyPair {
  return generateKeyPairSync('rsa', { modulusLength });
}

export function issueCertificate(request: CertificateRequest): IssuedCertificate {
  const keys = request.keyPair ?? generateRsaKeyPair();
  const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
  const subjectName = distinguishedName(request.commonName);
  const issuerName = request.issuer ? distinguishedName(request.issuer.subject) : subjectName;
  const signerKey = request.issuer?.privateKey ?? keys.privateKey;
  const authorityKeyId = keyIdentifier(
    request.issuer ? request.issuer.publicKey.export({ type: 'spki', format: 'der' }) : spki,
  );
  const signatureAlgorithm = der.sequence(der.objectIdentifier(OID.sha256WithRSAEncryption), der.nullValue());
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3
    der.unsignedInteger(serialNumber()),
    signatureAlgorithm,
    issuerName,
    der.sequence(der.time(request.notBefore), der.time(request.notAfter)),
    subjectName,
    spki,
    der.explicit(3, der.sequence(...extensions(request.profile, keyIdentifier(spki), authorityKeyId))),
  );
  const signature = sign('sha256', tbs, signerKey);
  const certificateDer = der.sequence(tbs, signatureAlgorithm, der.bitString(signature));
  return {
    ...keys,
    certificateDer,
    certificatePem: toPem('CERTIFICATE', certificateDer),
    privateKeyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    subject: request.commonName,
  };
}

export function toPem(label: string, derBytes: Buffer): string {
  const lines = derBytes.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** DER bytes of the first certificate in a PEM string. */
export function pemToDer(pem: string): Buffer {
  return Buffer.from(new X509Certificate(pem).raw);
}

function distinguishedName(commonName: string): Buffer {
  return der.sequence(
    der.set(der.sequence(der.objectIdentifier(OID.organizationName), der.utf8String('mailtrace simulator'))),
    der.set(der.sequence(der.objectIdentifier(OID.commonName), der.utf8String(commonName))),
  );
}

function extensions(profile: CertificateProfile, subjectKeyId: Buffer, authorityKeyId: Buffer): Buffer[] {
  const list: Buffer[] = [
    extension(OID.subjectKeyIdentifier, false, der.octetString(subjectKeyId)),
    extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicitPrimitive(0, authorityKeyId))),
  ];
  switch (profile.kind) {
    case 'ca':
      list.push(
        extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
        extension(
          OID.keyUsage,
          true,
          der.namedBits([KEY_USAGE_BIT.digitalSignature, KEY_USAGE_BIT.keyCertSign, KEY_USAGE_BIT.cRLSign]),
        ),
      );
      break;
    case 'server':
      list.push(
        extension(OID.basicConstraints, true, der.sequence()),
        extension(
          OID.keyUsage,
          true,
          der.namedBits([KEY_USAGE_BIT.digitalSignature, KEY_USAGE_BIT.keyEncipherment]),
        ),
        extension(OID.extKeyUsage, false, der.sequence(der.objectIdentifier(OID.serverAuth))),
        extension(OID.subjectAltName, false, subjectAltName(profile.dnsNames, profile.ipAddresses)),
      );
      break;
    case 'client':
      list.push(
        extension(OID.basicConstraints, true, der.sequence()),
        extension(OID.keyUsage, true, der.namedBits([KEY_USAGE_BIT.digitalSignature])),
        extension(OID.extKeyUsage, false, der.sequence(der.objectIdentifier(OID.clientAuth))),
      );
      break;
    case 'signing':
      list.push(
        extension(OID.basicConstraints, true, der.sequence()),
        extension(OID.keyUsage, true, der.namedBits([KEY_USAGE_BIT.digitalSignature])),
      );
      break;
  }
  return list;
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(
    der.objectIdentifier(oid),
    ...(critical ? [der.boolean(true)] : []),
    der.octetString(value),
  );
}

function subjectAltName(dnsNames: string[], ipAddresses: string[]): Buffer {
  return der.sequence(
    ...dnsNames.map((name) => der.implicitPrimitive(2, Buffer.from(name, 'ascii'))),
    ...ipAddresses.map((ip) => der.implicitPrimitive(7, ipv4Bytes(ip))),
  );
}

function ipv4Bytes(ip: string): Buffer {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`only IPv4 addresses are supported in subjectAltName: ${ip}`);
  }
  return Buffer.from(parts);
}

/** RFC 5280 §4.2.1.2 method 1 (SHA-1 of the key) is enough for chain building; it is not a security check. */
function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive and never zero
  return bytes;
}

/** base64url SHA-1 (x5t) and SHA-256 (x5t#S256) thumbprints of an issued certificate. */
export function thumbprintOf(cert: Pick<IssuedCertificate, 'certificateDer'>): {
  x5t: string;
  x5tS256: string;
} {
  return {
    x5t: createHash('sha1').update(cert.certificateDer).digest('base64url'),
    x5tS256: createHash('sha256').update(cert.certificateDer).digest('base64url'),
  };
}
