/**
 * What the bench process and the kiosk-fleet process say to each other over
 * Node's IPC channel (child_process.fork). Plain data only; no key material
 * (the fleet process makes its kiosks' keys and sends only public halves).
 */
import type { BatchManifest } from '../../card/stock/manifest.js';
import type { PublicKiosk } from './identities.js';

export interface ProvisionRequest {
  type: 'provision';
  /** The bench's work directory (stations go under it) and the dev PKI in it. */
  dir: string;
  pkiDir: string;
  issuing: number;
  /** Light kiosks besides the issuing ones (the reconnect phase). */
  light: number;
  cardsPerKiosk: number;
}

export interface Customer {
  application: string;
  code: string;
}

export type ToFleet =
  | ProvisionRequest
  | { type: 'connect'; brokerUrl: string; light: boolean }
  /** `customers` (per issuing kiosk, in their order) on the first load; later loads serve the ones left. */
  | { type: 'load'; customers?: Customer[][]; rate: number; durationS: number }
  | { type: 'watch-reconnect'; timeoutS: number }
  | { type: 'stop' };

export interface SimReader {
  id: string;
  vendor: string;
  product: string;
  serial: string | null;
  publicKey: string;
}

export interface ProvisionedKiosk extends PublicKiosk {
  reader: SimReader;
  /** The hopper's batch (issuing kiosks only). */
  manifest?: BatchManifest;
}

/** One customer's request, as the kiosk saw it. */
export interface RequestSample {
  kiosk: string;
  application: string;
  outcome: string;
  reason?: string;
  /** Request → outcome at the kiosk (the customer's wait), ms. */
  requestMs: number;
  /** insert-card → issued, ms (issued cards only). */
  insertToIssuedMs?: number;
  /** Start, ms after the load phase began. */
  at: number;
}

export interface LoadResult {
  samples: RequestSample[];
  /** Arrivals that found every kiosk with cards left busy. */
  missed: number;
  /** Arrivals after every kiosk had run out of cards (customers). */
  noStock: number;
  wallMs: number;
}

export interface ReconnectResult {
  kiosks: number;
  down: number;
  /** Kiosks back (reader authenticated / welcome) after their link went down, and the time from the first drop to the last back. */
  back: number;
  allBackMs: number | undefined;
  /** Time from the first drop to the 50th / 99th percentile kiosk back. */
  p50BackMs: number | undefined;
  p99BackMs: number | undefined;
  notBack: string[];
}

export type FromFleet =
  | { type: 'provisioned'; kiosks: ProvisionedKiosk[]; identityMs: number; stationMs: number }
  | { type: 'connected'; kiosks: number; ms: number; notReady: string[] }
  | { type: 'loaded'; result: LoadResult }
  | { type: 'watching' }
  | { type: 'reconnected'; result: ReconnectResult }
  | { type: 'stopped' }
  | { type: 'error'; message: string };
