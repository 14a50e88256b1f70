/**
 * The HTTPS request to the center's enrolment endpoint (docs/provisioning.md
 * §2 step 3): node:https, TLS 1.2+, the server's certificate checked against
 * the CA the installer gave (`--ca`, the fleet root) and against the host
 * name of the URL (Node's checkServerIdentity), no connection reuse, bounded
 * time and answer size. Failures are classified for the exit code:
 * no answer → UNREACHABLE, an answer from an untrusted server →
 * CENTER_UNTRUSTED, 429/5xx → BUSY, another 4xx → REFUSED with the center's
 * code.
 */
import { request } from 'node:https';
import { EnrolClientError } from './errors.js';

export const ENROL_PATH = '/v1/enrol';
const MAX_ANSWER_BYTES = 64 * 1024;

export interface EnrolHttpOptions {
  /** https://HOST[:PORT] */
  center: URL;
  /** PEM of the trust anchor. */
  ca: string;
  /** Default 30 s. */
  timeoutMs?: number;
  /**
   * Called once the TLS handshake with the trusted center succeeded: the
   * body goes out next, so from here on the center may have received the
   * request (and enrolled the kiosk) whatever happens to the answer.
   */
  onSent?: () => void;
}

/** Socket-level failures: the center is not there (yet). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

/** Validates `--center`: https, a host, no credentials, path, query or fragment. */
export function centerUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EnrolClientError('OPTION_INVALID', '--center must be https://HOST:PORT');
  }
  if (url.protocol !== 'https:' || url.hostname === '' || url.username !== '' || url.password !== '' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new EnrolClientError('OPTION_INVALID', '--center must be https://HOST:PORT (no path, query or credentials)');
  }
  return url;
}

/** POSTs the body (the caller's to zeroize); resolves with the 201 answer's JSON value. */
export function postEnrolment(body: Buffer, o: EnrolHttpOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: o.center.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: o.center.port === '' ? 443 : Number(o.center.port),
        method: 'POST',
        path: ENROL_PATH,
        ca: o.ca,
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
        agent: false,
        timeout: o.timeoutMs ?? 30_000,
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(body.length), Accept: 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) {
            req.destroy(new EnrolClientError('ANSWER_INVALID', `the center's answer is larger than ${MAX_ANSWER_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', (e) => reject(classify(e)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let json: unknown;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            json = undefined;
          }
          if (status === 201 && json !== undefined) return resolve(json);
          const { error, message } = (json ?? {}) as { error?: unknown; message?: unknown };
          const centerCode = typeof error === 'string' && /^[a-z-]{1,40}$/.test(error) ? error : undefined;
          const said = typeof message === 'string' ? message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200) : `HTTP ${status}`;
          if (status === 201) return reject(new EnrolClientError('ANSWER_INVALID', 'the center answered 201 without JSON'));
          if (status === 429 || status >= 500) return reject(new EnrolClientError('BUSY', `the center is busy or failed (HTTP ${status}): ${said}`, centerCode));
          reject(new EnrolClientError('REFUSED', `the center refused the enrolment (HTTP ${status}): ${said}`, centerCode ?? `http-${status}`));
        });
      },
    );
    req.on('socket', (socket) => socket.once('secureConnect', () => o.onSent?.()));
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => reject(classify(e)));
    req.end(body);
  });
}

function classify(e: unknown): Error {
  if (e instanceof EnrolClientError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (UNREACHABLE.has(code)) return new EnrolClientError('UNREACHABLE', `the enrolment endpoint is unreachable (${code}): retry later`);
  if (/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|TLS|SSL/i.test(code)) return new EnrolClientError('CENTER_UNTRUSTED', `the center's certificate is not trusted (${code}): check --ca and the host name`);
  return new EnrolClientError('UNREACHABLE', `the enrolment request failed (${code || (e as Error).message.slice(0, 100)})`);
}
