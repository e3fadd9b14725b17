/**
 * X.509 certificates, bundles and chains, PEM or DER. Every certificate of a bundle
 * becomes its own window (with its position), so the caller can evaluate them all and
 * name the one that expires first. Certificates are public; their fingerprint is the
 * SHA-256 of the DER, like `openssl x509 -fingerprint -sha256`, cut to 8 hex characters.
 */
import type { X509Certificate } from 'node:crypto';
import { ParseError } from '../../errors.js';
import { fingerprint } from '../../util/fingerprint.js';
import type { ExpiryWindow } from '../types.js';
import { parseOpenSslTime, parseX509 } from './common.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export interface CertificateReadOptions {
  /** Which credential of a larger input these certificates are, e.g. `clusters["prod"]`. */
  locator?: string;
}

/**
 * Reads every certificate in `input`: PEM text (one or many `CERTIFICATE` blocks; other
 * blocks such as keys are skipped, never echoed) or a single DER certificate.
 * Throws `ParseError` when there is no certificate or one of them is malformed.
 */
export function readCertificates(
  input: string | Uint8Array,
  options: CertificateReadOptions = {},
): ExpiryWindow[] {
  const buffer = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  const text = buffer.toString('latin1');
  if (!text.includes('-----BEGIN ')) {
    if (buffer[0] !== 0x30) {
      throw new ParseError('not a certificate: neither PEM (no -----BEGIN line) nor DER');
    }
    return [windowOf(parseX509(buffer, 'DER input'), options.locator)];
  }
  const ders = pemCertificates(text);
  return ders.map((der, index) => {
    const what = ders.length > 1 ? `certificate ${index + 1} of ${ders.length}` : 'certificate';
    const window = windowOf(parseX509(der, what), options.locator);
    if (ders.length > 1) window.member = { index: index + 1, count: ders.length };
    return window;
  });
}

/** The window of one parsed certificate. */
export function windowOf(certificate: X509Certificate, locator?: string): ExpiryWindow {
  const window: ExpiryWindow = {
    kind: 'x509-certificate',
    notBefore: parseOpenSslTime(certificate.validFrom),
    notAfter: parseOpenSslTime(certificate.validTo),
    subject: subjectOf(certificate),
    fingerprint: fingerprint(certificate.raw),
  };
  if (locator !== undefined) window.locator = locator;
  return window;
}

/** `CN=webhook, O=Example` from Node's one-attribute-per-line form. */
function subjectOf(certificate: X509Certificate): string {
  const subject = certificate.subject.split('\n').filter(Boolean).join(', ');
  return subject === '' ? '(empty subject)' : subject;
}

function pemCertificates(text: string): Buffer[] {
  const found: string[] = [];
  const ders: Buffer[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const label = match[1]!;
    found.push(label);
    if (label !== 'CERTIFICATE') continue;
    const body = match[2]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
      throw new ParseError(`certificate ${ders.length + 1}: PEM body is not base64`);
    }
    ders.push(Buffer.from(body, 'base64'));
  }
  if (ders.length === 0) {
    const others = [...new Set(found)].join(', ');
    throw new ParseError(
      others === ''
        ? 'no complete PEM block found (a BEGIN line without its END line?)'
        : `no CERTIFICATE block found (found ${others})`,
    );
  }
  return ders;
}
