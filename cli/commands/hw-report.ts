/** What `cardline hw list` prints about one device, as text and as JSON. Nothing here is a secret. */
import type { ReaderIdentity } from '../../hardware/station.js';
import type { ReaderAuthResult } from '../../kiosk/reader-auth.js';

export interface HwEntry {
  class: 'reader' | 'dispenser' | 'keypad';
  /** The spec that selects it (station spec or keypad spec). */
  spec: string;
  identity: ReaderIdentity;
  /** Card present, hopper level, hidraw node… */
  state: string;
  /** 'authenticated (method)', 'refused: reason' or 'not checked (why)'. */
  auth: string;
}

export function authLine(r: ReaderAuthResult): string {
  return r.status === 'authenticated' ? `authenticated (${r.method})` : `refused: ${r.reason}`;
}

export function hwJson(entries: HwEntry[], notes: string[]): unknown {
  return {
    devices: entries.map((e) => ({
      class: e.class,
      id: e.identity.id,
      kind: e.identity.kind,
      spec: e.spec,
      vendor: e.identity.descriptor.vendor,
      product: e.identity.descriptor.product,
      serial: e.identity.descriptor.serial,
      canSign: e.identity.canSign,
      state: e.state,
      auth: e.auth,
    })),
    notes,
  };
}
