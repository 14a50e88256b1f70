/**
 * What the center needs of the broker it bridges to, whichever it is
 * (DESIGN §7): the embedded Aedes (broker.ts, `cardline demo` and one-site
 * defaults) or an external Mosquitto 2 reached as an MQTT client
 * (external/, docs/deploy.md). The fleet (fleet/start.ts) sees only this.
 */
export interface BrokerLink {
  readonly kind: 'embedded' | 'external';
  /** Whether the kiosk has a live MQTT connection, as far as this center can tell. */
  isKioskConnected(kioskId: string): boolean;
  /** The kiosks with a live MQTT connection, as far as this center can tell. */
  connectedKiosks(): string[];
  /** Ends a (revoked) kiosk's live connection now; false when it was not connected. */
  disconnectKiosk(kioskId: string): Promise<boolean>;
  /**
   * New CRL blocks (root, issuing) for every handshake from now on. The
   * embedded broker loads them in process; an external one is told to
   * reload its crlfile. Throws BrokerError when they cannot be applied,
   * leaving the old ones in force.
   */
  reloadCrl(blocks: string[]): void | Promise<void>;
}
