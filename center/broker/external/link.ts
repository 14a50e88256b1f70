/**
 * The BrokerLink (../link.ts) of a center bridged to an external Mosquitto 2
 * (DESIGN §7 "Site"): presence from the kiosks' retained state messages
 * (presence.ts), the kick and the per-kiosk access through the
 * dynamic-security plugin (dynsec-control.ts, reconciler.ts), the CRL
 * reload by SIGHUP (crl-reload.ts).
 *
 * `disconnectKiosk` sends, in one message: getClient (how the client was),
 * removeClientRole (so a reconnect gets nothing: the plugin's `disabled`
 * flag is not checked at CONNECT under use_identity_as_username) and
 * disableClient (which closes the live connection at once, without its
 * will). It resolves true when this center saw the kiosk online and the
 * broker still had it enabled: a kiosk another worker already turned off
 * is not counted twice.
 */
import type { Logger } from '../../../common/log.js';
import { BrokerError } from '../errors.js';
import type { BrokerLink } from '../link.js';
import type { DynsecControl } from './dynsec-control.js';
import type { KioskPresence } from './presence.js';
import { parseClients, turnOff, type DynsecReconciler } from './reconciler.js';

export class ExternalBrokerLink implements BrokerLink {
  readonly kind = 'external' as const;
  private readonly log: Logger;

  constructor(
    private readonly o: {
      presence: KioskPresence;
      control: Pick<DynsecControl, 'run'>;
      reconciler: DynsecReconciler;
      reloadCrl: () => void;
      logger: Logger;
    },
  ) {
    this.log = o.logger.child('broker');
  }

  isKioskConnected(kioskId: string): boolean {
    return this.o.presence.has(kioskId) && !this.o.reconciler.isOff(kioskId);
  }

  connectedKiosks(): string[] {
    return this.o.presence.list().filter((id) => !this.o.reconciler.isOff(id));
  }

  async disconnectKiosk(kioskId: string): Promise<boolean> {
    const seen = this.isKioskConnected(kioskId);
    const [before, ...rest] = await this.o.control.run([{ command: 'getClient', username: kioskId }, ...turnOff(kioskId)]);
    const bad = rest.find((a) => a.error !== undefined && a.error !== 'Client not found');
    if (bad) throw new BrokerError('DYNSEC_REFUSED', `the dynamic-security plugin refused ${bad.command} for kiosk ${kioskId}: ${bad.error}`);
    this.o.reconciler.noteOff(kioskId);
    this.o.presence.markOffline(kioskId);
    const client = before?.error === undefined ? parseClients({ clients: [(before?.data as { client?: unknown } | undefined)?.client] }).get(kioskId) : undefined;
    const wasOn = client !== undefined && !client.disabled;
    if (wasOn) this.log.warn('kiosk disabled at the broker (dynsec): its connection is closed, its role removed', { kiosk: kioskId, online: seen });
    return seen && wasOn;
  }

  reloadCrl(_blocks: string[]): void {
    // The blocks were checked by the fleet (fleet/crl.ts) and are the file mosquitto reads (crlfile ca/crl.pem).
    this.o.reloadCrl();
  }
}
