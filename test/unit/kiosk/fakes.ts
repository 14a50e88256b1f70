/**
 * Test doubles of the kiosk tests: a card transport answering with canned
 * responses, a card station around it, an up-link recording what the kiosk
 * sends, and the center's side (keys, a signed registry, down deliveries).
 * Not a test file itself.
 */
import { hex, toHex } from '../../../card/bytes.js';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger, type Logger } from '../../../common/log.js';
import { TransportError, type CardTransport, type CardTransportEvent } from '../../../hardware/card-transport.js';
import { StationError, type CardStation, type DeviceDescriptor, type ReaderIdentity, type ReaderKind, type StationStatus } from '../../../hardware/station.js';
import type { KioskEvent } from '../../../kiosk/events.js';
import type { DownDelivery, UpLink } from '../../../kiosk/link.js';
import { SessionRunner } from '../../../kiosk/session-runner.js';
import { KioskError } from '../../../kiosk/errors.js';
import { ed25519PublicKey, ed25519Sign } from '../../../wire/keys.js';
import type { DownBody, DownType, UpBody, UpType } from '../../../wire/messages.js';
import { signRegistry, type RegistryReader } from '../../../wire/registry.js';

export const KIOSK = 'kiosk-7';
export const READER = 'sim-reader-1';
export const JOB = '0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
export const JOB2 = '1b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
export const NOW = 1_700_000_000_000;
export const CODE = 'Secret42Code';

export const centerSecret = new Uint8Array(32).fill(0x22);
export const centerPublic = ed25519PublicKey(centerSecret);
export const readerSecret = new Uint8Array(32).fill(0x44);
export const readerPublic = ed25519PublicKey(readerSecret);

export const ATR = hex('3B8F8001804F0CA000000306030001000000006A');
/** An INITIALIZE UPDATE response, 29 bytes: KDD 10 ‖ 30 03 60 ‖ challenge 8 ‖ cryptogram 8. */
export const IU_DATA = hex('00112233445566778899300360A1A2A3A4A5A6A7A8C1C2C3C4C5C6C7C8');
/** An `issued` body naming the fake card (its KDD: the first 10 bytes of IU_DATA). */
export function issuedBody(job: string): { job: string; card: string; sdAid: string } {
  return { job, card: '00112233445566778899', sdAid: 'A000000151000000' };
}
/** Script APDUs (their bytes only matter as values that must not leak). */
export const SCRIPT = ['8482330010DEADBEEFCAFEBABE0102030405060708', '84E6200018F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF0001020304050607', '84E2000020C0FFEE0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF', '84E2800010BADC0FFEE0DDF00DBADC0FFEE0DDF00D'];
export const SCRIPT_RESPONSES = ['9000', 'ABCDEF12345678909000', '13579BDF2468ACE09000', 'FEDCBA98765432109000'];

type Answer = Uint8Array | TransportError;

/** A CardTransport with a card always present; answers from `respond`, records every command (and keeps the buffers). */
export class FakeTransport implements CardTransport {
  readonly readerName = 'fake:0';
  cardPresent = true;
  powered = false;
  powerOns = 0;
  powerOffs = 0;
  /** The command buffers as received (the kiosk zeroizes them afterwards). */
  readonly commands: Uint8Array[] = [];
  /** The commands in hex, as they were when received. */
  readonly seen: string[] = [];
  readonly returned: Uint8Array[] = [];
  constructor(public respond: (apdu: Uint8Array, index: number) => Answer) {}
  powerOn(): Promise<Uint8Array> {
    if (!this.cardPresent) return Promise.reject(new TransportError('NO_CARD', 'no card'));
    this.powered = true;
    this.powerOns++;
    return Promise.resolve(ATR.slice());
  }
  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (!this.powered) return Promise.reject(new TransportError('NOT_POWERED', 'not powered'));
    this.commands.push(apdu);
    this.seen.push(toHex(apdu));
    const answer = this.respond(apdu, this.commands.length - 1);
    if (answer instanceof TransportError) return Promise.reject(answer);
    const out = answer.slice();
    this.returned.push(out);
    return Promise.resolve(out);
  }
  powerOff(): Promise<void> {
    this.powered = false;
    this.powerOffs++;
    return Promise.resolve();
  }
  on(_event: CardTransportEvent, _listener: () => void): () => void {
    return () => undefined;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** SELECT → an FCI + 9000, INITIALIZE UPDATE → IU_DATA + 9000, anything else from `script`. */
export function cardAnswers(script: (apdu: Uint8Array) => Answer = scriptAnswers()): (apdu: Uint8Array) => Answer {
  return (apdu) => {
    if (apdu[1] === 0xa4) return hex('6F0A8408A000000151000000' + '9000');
    if (apdu[0] === 0x80 && apdu[1] === 0x50) return Uint8Array.from([...IU_DATA, 0x90, 0x00]);
    return script(apdu);
  };
}

/** Answers the i-th script APDU with SCRIPT_RESPONSES[i] (or `override(i)` when it returns something). */
export function scriptAnswers(override: (i: number) => Answer | undefined = () => undefined): (apdu: Uint8Array) => Answer {
  return (apdu) => {
    const i = SCRIPT.indexOf(toHex(apdu));
    return override(i) ?? hex(SCRIPT_RESPONSES[i] ?? '6D00');
  };
}

export class FakeReader implements ReaderIdentity {
  constructor(
    readonly id: string = READER,
    /** null: a reader without a key (signs nothing). */
    private readonly secret: Uint8Array | null = readerSecret,
    readonly kind: ReaderKind = 'sim',
    /** What it reports (default: vendor 'cardline', product 'fake-reader', serial = id). */
    private readonly reports: Partial<DeviceDescriptor> = {},
  ) {}
  get canSign(): boolean {
    return this.secret !== null;
  }
  get descriptor(): DeviceDescriptor {
    return { vendor: 'cardline', product: 'fake-reader', serial: this.id, ...this.reports };
  }
  sign(message: Uint8Array): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.secret ? ed25519Sign(message, this.secret) : undefined);
  }
}

export class FakeStation implements CardStation {
  readonly name = 'fake-station';
  cardAt = false;
  hopper: number;
  readonly moves: string[] = [];
  constructor(
    readonly transport: FakeTransport,
    readonly identity: ReaderIdentity = new FakeReader(),
    hopper = 10,
  ) {
    this.hopper = hopper;
  }
  cardAtStation(): Promise<boolean> {
    return Promise.resolve(this.cardAt);
  }
  feed(): Promise<{ label: string }> {
    if (this.cardAt && this.identity.kind === 'pcsc') {
      // As PcscStation: a plain reader's card in the slot counts as fed (the customer put it there).
      this.moves.push('feed');
      return Promise.resolve({ label: 'in-slot' });
    }
    if (this.cardAt) return Promise.reject(new StationError('OCCUPIED', 'occupied'));
    if (this.hopper === 0) return Promise.reject(new StationError('HOPPER_EMPTY', 'empty'));
    this.hopper--;
    this.cardAt = true;
    this.moves.push('feed');
    return Promise.resolve({ label: `card-${this.hopper}` });
  }
  eject(): Promise<void> {
    return this.#leave('eject');
  }
  capture(): Promise<void> {
    return this.#leave('capture');
  }
  #leave(move: string): Promise<void> {
    if (!this.cardAt) return Promise.reject(new StationError('NO_CARD', 'no card'));
    this.cardAt = false;
    this.transport.powered = false;
    this.moves.push(move);
    return Promise.resolve();
  }
  status(): Promise<StationStatus> {
    return Promise.resolve({ hopperRemaining: this.hopper, hopper: this.hopper === 0 ? 'empty' : 'ok', cardAtStation: this.cardAt });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface Sent {
  type: UpType;
  body: unknown;
}

export class FakeLink implements UpLink {
  readonly sent: Sent[] = [];
  down = false;
  /** New sessions asked for (renewSession); each calls `onRenew` (the rig: the runner's sessionOpened, as the agent does). */
  renewals = 0;
  onRenew: () => Promise<void> = () => Promise.resolve();
  renewSession(): Promise<void> {
    this.renewals++;
    return this.onRenew();
  }
  send<T extends UpType>(type: T, body: UpBody<T>): Promise<void> {
    if (this.down) return Promise.reject(new KioskError('LINK_DOWN', 'down'));
    this.sent.push({ type, body });
    return Promise.resolve();
  }
  types(): string[] {
    return this.sent.map((s) => s.type);
  }
  last<T extends UpType>(type: T): UpBody<T> {
    const found = [...this.sent].reverse().find((s) => s.type === type);
    if (!found) throw new Error(`nothing of type ${type} sent`);
    return found.body as UpBody<T>;
  }
}

/** The registry entry of the default FakeReader (its descriptor and key), with `over` applied. */
export function readerEntry(over: Partial<RegistryReader> = {}): RegistryReader {
  return { id: READER, kind: 'sim', vendor: 'cardline', product: 'fake-reader', serial: READER, publicKey: toHex(readerPublic), ...over };
}

/** A `welcome` (or `registry`) body: the readers signed by the center for KIOSK. */
export function registry(readers: RegistryReader[] = [readerEntry()], version = 1, secret: Uint8Array = centerSecret): DownBody<'welcome'> {
  return { registry: signRegistry({ v: 2, kiosk: KIOSK, version, issuedAt: NOW, readers }, secret) };
}

/** A down message as the link hands it over (the runner does not look at `seq`: the link checked it). */
export function down<T extends DownType>(type: T, body: DownBody<T>, deadline = NOW + 30_000): DownDelivery {
  return { message: { type, body } as DownDelivery['message'], deadline, seq: 1 };
}

export function insertCard(attempt = 1, recover = false, job = JOB): DownDelivery {
  return down('insert-card', { job, attempt, challenge: '0102030405060708', sdAid: 'A000000151000000', kvn: 0x30, recover });
}

export function script(opts: Partial<DownBody<'script'>> = {}): DownDelivery {
  return down('script', { job: JOB, attempt: 1, kind: 'write', stop: 'first-error', apdus: [...SCRIPT], summary: { storeDataBlocks: 2, dgis: 3 }, ...opts });
}

/** Lets queued promise callbacks run until `pred` holds (no timers: setImmediate turns only). */
export async function until(pred: () => boolean, turns = 200): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (pred()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition not reached');
}

export interface Rig {
  runner: SessionRunner;
  link: FakeLink;
  station: FakeStation;
  transport: FakeTransport;
  clock: FakeClock;
  logger: Logger & { lines: string[] };
  events: KioskEvent[];
}

export function rig(opts: { respond?: (apdu: Uint8Array, i: number) => Answer; reader?: ReaderIdentity; hopper?: number; requestTimeoutMs?: number; answerTimeoutMs?: number } = {}): Rig {
  const transport = new FakeTransport(opts.respond ?? cardAnswers());
  const station = new FakeStation(transport, opts.reader, opts.hopper);
  const link = new FakeLink();
  const clock = new FakeClock(NOW);
  const logger = memoryLogger('kiosk-test');
  const events: KioskEvent[] = [];
  let n = 0;
  const runner = new SessionRunner({
    kioskId: KIOSK,
    agent: 'cardline-kiosk/test',
    link,
    station,
    clock,
    logger,
    random: (len) => Uint8Array.from({ length: len }, () => ++n & 0xff),
    events: (e) => events.push(e),
    centerPublicKey: centerPublic,
    apduTimeoutMs: 1000,
    requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
    ...(opts.answerTimeoutMs !== undefined ? { answerTimeoutMs: opts.answerTimeoutMs } : {}),
  });
  link.onRenew = () => runner.sessionOpened();
  return { runner, link, station, transport, clock, logger, events };
}

/** A runner past hello and welcome, ready for customers. */
export async function readyRig(opts: Parameters<typeof rig>[0] = {}): Promise<Rig> {
  const r = rig(opts);
  await r.runner.sessionOpened();
  r.runner.deliver(down('welcome', registry()));
  await r.runner.ready;
  return r;
}
