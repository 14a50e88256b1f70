/**
 * The embedded MQTT broker (DESIGN §3 step 1, §7 "Embedded"): Aedes 1.2.0
 * (MQTT 3.1.1 only) behind a Node TLS server that demands a client
 * certificate from the fleet CA and checks it against the CRL.
 *
 * Four gates, each refusal logged and reported to `onRefusal` (the center
 * audits them), never with a payload:
 * 1. TLS: no certificate, another CA, expired, revoked, wrong purpose → the
 *    handshake fails (tlsClientError; the reason is OpenSSL's verify code,
 *    e.g. CERT_HAS_EXPIRED). The client only sees the connection close.
 * 2. CONNECT: the role from the certificate (acl.ts), the client ID tied to
 *    it, a last will within the role's topics, and for a kiosk the center's
 *    registry (`admitKiosk`: unknown or revoked kiosks are refused) →
 *    CONNACK 5 "not authorized" (MQTT 3.1.1 §3.2.2.3), or 3 "server
 *    unavailable" when admitKiosk itself fails, so the kiosk retries.
 * 3. SUBSCRIBE outside the role → that filter gets 0x80 in the SUBACK
 *    (§3.9.3); the connection stays.
 * 4. PUBLISH outside the role → dropped and the client disconnected: MQTT
 *    3.1.1 has no negative PUBACK, and a client that tries another kiosk's
 *    topic is not one to keep talking to.
 */
import type { Socket } from 'node:net';
import { TLSSocket, createServer, type Server } from 'node:tls';
import { Aedes, type AuthenticateError, type AuthErrorCode, type Client, type ConnectPacket } from 'aedes';
import type { Logger } from '../../common/log.js';
import { checkClientId, checkPublish, checkSubscribe, isKioskId, roleOf, type Role } from './acl.js';
import { BrokerError } from './errors.js';
import type { BrokerLink } from './link.js';

export interface BrokerTls {
  /** The fleet CA certificate(s), PEM. */
  ca: string;
  /** The broker's server certificate and key, PEM. */
  cert: string;
  key: string;
  /**
   * The CAs' CRLs, PEM: one per CA of the chain (root, issuing), each its own
   * string (Node reads one CRL per string). With them, OpenSSL checks every
   * client against them and refuses all once one has expired.
   */
  crl?: string | string[];
}

export type Admission = { ok: true } | { ok: false; reason: string };

/** The verified client certificate, as admitKiosk sees it. */
export interface PeerCertificate {
  /** SHA-256 fingerprint, colon-separated upper-case hex (X509Certificate.fingerprint256). */
  fingerprint: string;
  /** Serial number, lower-case hex. */
  serial: string;
}

export interface BrokerRefusal {
  stage: 'tls' | 'connect' | 'publish' | 'subscribe';
  /** An OpenSSL verify code (stage tls), an acl.ts reason, or admitKiosk's reason. */
  reason: string;
  /** The kiosk, once its certificate is verified (never a CN from a refused certificate). */
  kiosk?: string;
  topic?: string;
}

export interface BrokerOptions {
  /** Default 127.0.0.1: the embedded broker serves loopback unless told otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  tls: BrokerTls;
  /**
   * The center's registry check (DESIGN §3 step 1): active and not revoked,
   * and the verified certificate one the registry knows for this kiosk
   * (docs/provisioning.md §3: a renewed one is promoted here).
   */
  admitKiosk: (kioskId: string, cert: PeerCertificate) => Promise<Admission>;
  logger: Logger;
  onRefusal?: (r: BrokerRefusal) => void;
  /** A kiosk's live MQTT connection ended (not one replaced by a newer connection of the same kiosk). */
  onKioskGone?: (kioskId: string) => void;
  /** Seconds a TLS-authenticated client has to send CONNECT (default 10). */
  connectTimeoutS?: number;
}

export interface RunningBroker extends BrokerLink {
  readonly kind: 'embedded';
  readonly port: number;
  readonly aedes: Aedes;
  /** MQTT clients past CONNACK. */
  clientCount(): number;
  /**
   * Loads new CRLs (docs/provisioning.md §1) for every handshake from now
   * on; connected clients stay (kick them with disconnectKiosk). Throws
   * BrokerError TLS_CONFIG, leaving the old CRLs in force, when OpenSSL
   * refuses them.
   */
  reloadCrl(crl: string | string[]): void;
  /** Whether the kiosk has a live MQTT connection on this broker. */
  isKioskConnected(kioskId: string): boolean;
  /** The kiosks with a live MQTT connection on this broker. */
  connectedKiosks(): string[];
  /** Closes a connected kiosk's session (after it was revoked); false when it is not connected. */
  disconnectKiosk(kioskId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3). */
const NOT_AUTHORIZED = 5 as AuthErrorCode;
const SERVER_UNAVAILABLE = 3 as AuthErrorCode;

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const logger = opts.logger.child('broker');
  const roles = new WeakMap<Client, Role>();
  const connects = new WeakMap<Client, Pick<ConnectPacket, 'will'>>();
  const kiosks = new Map<string, Client>();

  const refuse = (given: BrokerRefusal): void => {
    // The topic comes from the client: bounded and stripped of control characters before it reaches a log or the audit.
    const r = given.topic === undefined ? given : { ...given, topic: safeTopic(given.topic) };
    logger.warn(`${r.stage} refused`, { ...r });
    try {
      opts.onRefusal?.(r);
    } catch (e) {
      logger.error('onRefusal failed', { error: e });
    }
  };
  const kioskOf = (role: Role | undefined): { kiosk?: string } => (role?.kind === 'kiosk' ? { kiosk: role.id } : {});

  const aedes = await Aedes.createBroker({
    connectTimeout: (opts.connectTimeoutS ?? 10) * 1000,
    // The CONNECT packet is not passed to authenticate: keep its will for it.
    preConnect: (client, packet, done) => {
      connects.set(client, { will: packet.will });
      done(null, true);
    },
    authenticate: (client, _username, _password, done) => {
      const fail = (code: AuthErrorCode, r: BrokerRefusal): void => {
        refuse(r);
        const err = new Error(r.reason) as AuthenticateError;
        err.returnCode = code;
        done(err, null);
      };
      admit(client)
        .then((result) => {
          if (!result.ok) return fail(result.code, { stage: 'connect', reason: result.reason, ...kioskOf(result.role) });
          roles.set(client, result.role);
          if (result.role.kind === 'kiosk') kiosks.set(result.role.id, client);
          logger.info('client connected', { role: result.role.kind, ...kioskOf(result.role) });
          done(null, true);
        })
        .catch((e: unknown) => {
          logger.error('admission check failed', { error: e });
          fail(SERVER_UNAVAILABLE, { stage: 'connect', reason: 'admission-error' });
        });
    },
    authorizePublish: (client, packet, done) => {
      const role = client ? roles.get(client) : undefined;
      const d = role ? checkPublish(role, packet.topic, packet.retain) : { ok: false as const, reason: 'role-unknown' as const };
      if (d.ok) return done(null);
      refuse({ stage: 'publish', reason: d.reason, ...kioskOf(role), topic: packet.topic });
      // An error here makes Aedes drop the packet and close the connection.
      done(new Error(d.reason));
    },
    authorizeSubscribe: (client, sub, done) => {
      const role = roles.get(client);
      const d = role ? checkSubscribe(role, sub.topic) : { ok: false as const, reason: 'role-unknown' as const };
      if (d.ok) return done(null, sub);
      refuse({ stage: 'subscribe', reason: d.reason, ...kioskOf(role), topic: sub.topic });
      done(null, null); // SUBACK return code 0x80 for this filter
    },
  });

  type Admitted = { ok: true; role: Role } | { ok: false; code: AuthErrorCode; reason: string; role?: Role };

  /** Gate 2 (see the file comment). */
  async function admit(client: Client): Promise<Admitted> {
    const conn = client.conn;
    if (!(conn instanceof TLSSocket) || !conn.authorized) return { ok: false, code: NOT_AUTHORIZED, reason: 'tls-unauthorized' };
    const peer = conn.getPeerCertificate();
    const r = roleOf(peer.subject ?? {});
    if (!r.ok) return { ok: false, code: NOT_AUTHORIZED, reason: r.reason };
    const role = r.role;
    const id = checkClientId(role, client.id);
    if (!id.ok) return { ok: false, code: NOT_AUTHORIZED, reason: id.reason, role };
    const will = connects.get(client)?.will;
    connects.delete(client);
    if (will) {
      const w = checkPublish(role, will.topic, will.retain === true);
      if (!w.ok) return { ok: false, code: NOT_AUTHORIZED, reason: `will-${w.reason}`, role };
    }
    if (role.kind === 'kiosk') {
      const a = await opts.admitKiosk(role.id, { fingerprint: peer.fingerprint256, serial: peer.serialNumber.toLowerCase() });
      if (!a.ok) return { ok: false, code: NOT_AUTHORIZED, reason: a.reason, role };
    }
    return { ok: true, role };
  }

  aedes.on('clientDisconnect', (client) => {
    const role = roles.get(client);
    if (role?.kind === 'kiosk' && kiosks.get(role.id) === client) {
      kiosks.delete(role.id);
      opts.onKioskGone?.(role.id);
    }
    logger.info('client disconnected', { role: role?.kind ?? 'none', ...kioskOf(role) });
  });
  aedes.on('clientError', (client, err) => logger.debug('client error', { ...kioskOf(roles.get(client)), error: err }));

  const contextOptions = (crl: string | string[] | undefined) => ({ ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' as const, ...(crl ? { crl } : {}) });
  let server: Server;
  try {
    server = createServer({ requestCert: true, rejectUnauthorized: true, ...contextOptions(opts.tls.crl) }, (socket) => void aedes.handle(socket));
  } catch (e) {
    aedes.close();
    throw new BrokerError('TLS_CONFIG', `broker TLS material refused: ${(e as Error).message}`);
  }
  // Connections still in their handshake when the broker closes are not Aedes clients yet: destroyed by close().
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    // MQTT.js writes a packet in several pieces: with Nagle's algorithm each message waited ~40 ms for a delayed ACK.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    // Node verifies the client after the handshake and destroys the socket: the verify result is on the socket.
    refuse({ stage: 'tls', reason: verifyReason(socket) ?? err.code ?? 'tls-error' });
  });

  await listen(server, opts.port, opts.host ?? '127.0.0.1').catch((e: unknown) => {
    aedes.close();
    throw e;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  logger.info('broker listening', { host: opts.host ?? '127.0.0.1', port });

  let closing: Promise<void> | undefined;
  return {
    kind: 'embedded',
    port,
    aedes,
    clientCount: () => aedes.connectedClients,
    reloadCrl: (crl) => {
      try {
        server.setSecureContext(contextOptions(crl));
      } catch (e) {
        throw new BrokerError('TLS_CONFIG', `CRL refused: ${(e as Error).message}`);
      }
      logger.info('CRL reloaded', { crls: Array.isArray(crl) ? crl.length : 1 });
    },
    isKioskConnected: (kioskId) => isKioskId(kioskId) && kiosks.has(kioskId),
    connectedKiosks: () => [...kiosks.keys()],
    disconnectKiosk: (kioskId) => {
      const client = isKioskId(kioskId) ? kiosks.get(kioskId) : undefined;
      if (!client) return Promise.resolve(false);
      logger.info('kiosk disconnected by the center', { kiosk: kioskId });
      return new Promise((resolve) => client.close(() => resolve(true)));
    },
    close: () =>
      (closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await serverClosed;
        logger.info('broker closed');
      })()),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => reject(new BrokerError('LISTEN', `cannot listen on ${host}:${port} (${e.code ?? 'error'})`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** OpenSSL's verify code for a refused client certificate (Node types it as an Error; it is a string). */
function verifyReason(socket: TLSSocket): string | undefined {
  const e = socket.authorizationError as unknown;
  if (typeof e === 'string' && /^[A-Z0-9_]{1,64}$/.test(e)) return e;
  if (e instanceof Error) return (e as NodeJS.ErrnoException).code;
  return undefined;
}

/** A client-chosen topic as it may be logged: printable ASCII only, at most 128 characters, with the original length. */
export function safeTopic(topic: string): string {
  const clean = topic.replace(/[^\x20-\x7e]/g, '?');
  return clean.length <= 128 ? clean : `${clean.slice(0, 128)}…(${topic.length} chars)`;
}
