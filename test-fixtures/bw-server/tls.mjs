// `bw` refuses http:// servers, so the fixture mints a throw-away CA and a server certificate signed by it
// at start time. Keys come from node:crypto (fast, native); node-forge only builds and signs the X.509
// certificates, which node:crypto cannot do.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { join } from 'node:path';

// node-forge is a devDependency of @colibri/vault; resolve it from there so the fixture adds no package.
const requireFromVault = createRequire(new URL('../../packages/vault/package.json', import.meta.url));
const forge = requireFromVault('node-forge');

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Writes `ca.pem` into `dir` and returns the server's key and certificate chain.
 * @param {string} dir a private temp directory
 * @param {string} host the address the server listens on; it goes into the subjectAltName
 * @returns {Promise<{ caCertPath: string, key: string, cert: string }>}
 */
export async function mintCertificates(dir, host) {
  const caKeys = rsaKeyPair();
  // Generous validity both ways: the VM clock may jump, and a test must not fail on a certificate date.
  const notBefore = new Date(Date.now() - 2 * DAY_MS);
  const notAfter = new Date(Date.now() + 3650 * DAY_MS);

  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serialNumber();
  ca.validity.notBefore = notBefore;
  ca.validity.notAfter = notAfter;
  const caName = [{ name: 'commonName', value: 'colibri bw test CA' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const serverKeys = rsaKeyPair();
  const server = forge.pki.createCertificate();
  server.publicKey = serverKeys.publicKey;
  server.serialNumber = serialNumber();
  server.validity.notBefore = notBefore;
  server.validity.notAfter = notAfter;
  server.setSubject([{ name: 'commonName', value: host }]);
  server.setIssuer(caName);
  server.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: altNames(host) },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  server.sign(caKeys.privateKey, forge.md.sha256.create());

  const caPem = forge.pki.certificateToPem(ca);
  const caCertPath = join(dir, 'ca.pem');
  await writeFile(caCertPath, caPem, { mode: 0o600 });
  return {
    caCertPath,
    key: forge.pki.privateKeyToPem(serverKeys.privateKey),
    cert: forge.pki.certificateToPem(server) + caPem,
  };
}

function rsaKeyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    privateKey: forge.pki.privateKeyFromPem(privateKey),
  };
}

/** A positive 16-byte serial (the high bit cleared keeps the DER integer positive). */
function serialNumber() {
  const bytes = randomBytes(16);
  bytes[0] = /** @type {number} */ (bytes[0]) & 0x7f;
  return bytes.toString('hex');
}

/**
 * The listening host plus the usual loopback names, so `https://localhost:PORT` works too.
 * forge's altName types: 2 = DNS name, 7 = IP address.
 * @param {string} host
 */
function altNames(host) {
  const names = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
  ];
  if (isIP(host) !== 0) {
    if (!names.some((n) => n.ip === host)) names.push({ type: 7, ip: host });
  } else if (host !== 'localhost') {
    names.push({ type: 2, value: host });
  }
  return names;
}
