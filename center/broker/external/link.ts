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
 * will), then sets the kiosk's retained `kiosk/<id>/state` to
 * `{"online":false}` itself (`publishOffline`), so a new subscriber does not
 * see a stale online state. It resolves true when this center saw the kiosk online and the
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
      /** Publishes the retained `{"online":false}` on kiosk/<id>/state (start.ts, on the control connection). */
      publishOffline?: (kioskId: string) => Promise<void> | void;
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
    await this.publishOffline(kioskId);
    const client = before?.error === undefined ? parseClients({ clients: [(before?.data as { client?: unknown } | undefined)?.client] }).get(kioskId) : undefined;
    const wasOn = client !== undefined && !client.disabled;
    if (wasOn) this.log.warn('kiosk disabled at the broker (dynsec): its connection is closed, its role removed', { kiosk: kioskId, online: seen });
    return seen && wasOn;
  }

  /** The retained offline state after a kick; a failure is logged (the next kick or the kiosk's own state replaces it). */
  async publishOffline(kioskId: string): Promise<void> {
    try {
      await this.o.publishOffline?.(kioskId);
    } catch (e) {
      this.log.warn('publishing the offline state of a kicked kiosk failed', { kiosk: kioskId, error: e });
    }
  }

  reloadCrl(_blocks: string[]): void {
    // The blocks were checked by the fleet (fleet/crl.ts) and are the file mosquitto reads (crlfile ca/crl.pem).
    this.o.reloadCrl();
  }
}
