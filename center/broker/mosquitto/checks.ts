/**
 * Input checks of the generator: every value that ends up in mosquitto.conf
 * or dynamic-security.json passes one of these first. Mosquitto's config
 * parser splits a line at whitespace and takes '#' at the start of a line as
 * a comment, and a newline would start a new directive: a value that could
 * smuggle one in is refused rather than quoted (the format has no quoting).
 */
import { isKioskId } from '../acl.js';
import { MosquittoConfigError } from './errors.js';

/** Printable, no whitespace, no '#'; absolute. Mosquitto takes a path as one token. */
const SAFE_PATH = /^\/[^\s#\p{Cc}]*$/u;
/** RFC 1123 hostname (letters, digits, '-', dots) or an IPv4/IPv6 literal. */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
/** POSIX portable user names as useradd takes them. */
const USER = /^[a-z_][a-z0-9_-]{0,31}$/;

export function checkPath(what: string, p: string): string {
  if (!SAFE_PATH.test(p)) throw new MosquittoConfigError('INVALID_PATH', `${what}: an absolute path without whitespace, control characters or '#' is needed`);
  return p;
}

export function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new MosquittoConfigError('INVALID_PORT', `port ${String(port)}: 1..65535 is needed`);
  return port;
}

export function checkHost(host: string): string {
  if (!HOSTNAME.test(host) && !(host.includes(':') && IPV6.test(host))) throw new MosquittoConfigError('INVALID_HOST', 'host: a hostname or an IP address is needed');
  return host;
}

export function checkUser(user: string): string {
  if (!USER.test(user)) throw new MosquittoConfigError('INVALID_USER', 'user: a POSIX user name ([a-z_][a-z0-9_-]*, up to 32) is needed');
  return user;
}

export function checkLimit(what: string, n: number, max: number): number {
  if (!Number.isInteger(n) || n < 1 || n > max) throw new MosquittoConfigError('INVALID_LIMIT', `${what} ${String(n)}: 1..${max} is needed`);
  return n;
}

export function checkKioskId(id: string): string {
  if (!isKioskId(id)) throw new MosquittoConfigError('INVALID_KIOSK_ID', `kiosk ID ${JSON.stringify(id.slice(0, 70))} is not a valid kiosk ID`);
  return id;
}

/**
 * The center's username is its certificate's CN (use_identity_as_username):
 * 1..64 printable characters without MQTT wildcards or '/', since the
 * plugin's roles and the center's own topics never contain it as a level.
 */
export function checkCenterName(cn: string): string {
  if (!/^[^\s+#/\p{Cc}]{1,64}$/u.test(cn)) throw new MosquittoConfigError('INVALID_CENTER_NAME', 'the center certificate CN: 1..64 printable characters without whitespace, +, # or / is needed');
  return cn;
}
