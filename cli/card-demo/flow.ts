/**
 * The card demo's host flow, step by step: authenticate a blank card over
 * SCP03 with keys diversified from the stock master key, personalize the
 * sample application, then power-cycle and read everything back through
 * fresh APDUs. Each step is reported as it happens.
 *
 * The report carries tags, lengths and status words, never card data or
 * keys (not even hashes of them: personal data has too little entropy).
 */
import { command } from '../../card/apdu.js';
import { equalBytes, toHex, zeroize } from '../../card/bytes.js';
import { kcvAes } from '../../card/crypto.js';
import type { Dgi } from '../../card/dgi.js';
import { diversifyKdf3 } from '../../card/diversify.js';
import {
  APP_LIFE_CYCLE,
  buildPersonalizationScript,
  DEFAULT_ISD_AID,
  getData,
  getStatus,
  GET_STATUS_P1,
  maxPlaintextPerBlock,
  parseCplc,
  parseGetStatus,
  selectByAid,
} from '../../card/gp/index.js';
import { CardHostSession } from '../../card/host-session.js';
import type { HostSecureChannel } from '../../card/scp03/index.js';
import { describeSw, swHex } from '../../card/status-words.js';
import type { CardTransport } from '../../hardware/card-transport.js';
import { sampleApplication, DEMO_APP_AID } from './sample.js';

export interface DemoFlowOptions {
  transport: CardTransport;
  /** The stock master key the card's ISD keys were diversified from. */
  stockMasterKey: Uint8Array;
  securityLevel: number;
  random: (n: number) => Uint8Array;
  report: (line: string) => void;
}

export interface DemoFlowResult {
  ok: boolean;
  apdus: number;
  failures: string[];
}

const KCV_REQUEST = Uint8Array.of(0x5c, 0x01, 0x84); // docs/sim-card.md: GET DATA asking for tag 84, the key check value

const tagHex = (t: number): string => t.toString(16).toUpperCase().padStart(4, '0');

export async function runDemoFlow(opts: DemoFlowOptions): Promise<DemoFlowResult> {
  const { transport, report } = opts;
  let apdus = 0;
  const session = new CardHostSession(async (apdu) => {
    apdus++;
    return transport.transmit(apdu);
  });
  const failures: string[] = [];
  const app = sampleApplication(opts.random);
  let channel: HostSecureChannel | undefined;
  try {
    const atr = await transport.powerOn();
    report(`card powered on in ${transport.readerName}: ATR ${toHex(atr)}`);
    await session.sendOk(selectByAid(DEFAULT_ISD_AID), 'SELECT ISD');
    const cplc = parseCplc(await session.sendOk(getData(0x9f7f), 'GET DATA CPLC'));
    report(`ISD ${toHex(DEFAULT_ISD_AID)} selected; CPLC IC serial ${toHex(cplc.icSerialNumber)}`);

    channel = await session.openSecureChannel({
      sdAid: DEFAULT_ISD_AID,
      kvn: 0,
      securityLevel: opts.securityLevel,
      hostChallenge: opts.random(8),
      keysFor: (kdd) => {
        report(`INITIALIZE UPDATE: KDD ${toHex(kdd)}; ISD keys diversified from the stock master key (KDF3)`);
        return { ...diversifyKdf3(opts.stockMasterKey, kdd), kvn: 0 };
      },
    });
    report(`card authenticated: card cryptogram verified; EXTERNAL AUTHENTICATE at security level ${swByte(channel.securityLevel)} (${levelName(channel.securityLevel)})`);

    await personalize(session, channel, app.dgis, opts.securityLevel, report);
    const state = await applicationState(session, channel);
    report(`GET STATUS: application ${toHex(DEMO_APP_AID)} life cycle ${swByte(state)}${state === APP_LIFE_CYCLE.PERSONALIZED ? ' (PERSONALIZED)' : ''}`);
    if (state !== APP_LIFE_CYCLE.PERSONALIZED) failures.push(`application life cycle ${swByte(state)} after the last block`);
    channel.close();

    await transport.powerOff();
    await transport.powerOn();
    report('card power-cycled: the secure channel is gone; reading back with plain APDUs');
    await session.sendOk(selectByAid(DEMO_APP_AID), 'SELECT application');
    for (const dgi of app.dgis) {
      const problem = app.secretTags.includes(dgi.tag) ? await checkSecret(session, dgi, report) : await checkPlain(session, dgi, report);
      if (problem) failures.push(problem);
    }
    await transport.powerOff();
  } finally {
    // On every path out, a failed step included: the session keys and the DEK copy, then the card data.
    channel?.close();
    for (const dgi of app.dgis) zeroize(dgi.value);
  }
  return { ok: failures.length === 0, apdus, failures };
}

async function personalize(
  session: CardHostSession,
  channel: HostSecureChannel,
  dgis: Dgi[],
  level: number,
  report: (line: string) => void,
): Promise<void> {
  const script = buildPersonalizationScript({ appAid: DEMO_APP_AID, dgis, dek: channel.dek, maxBlock: maxPlaintextPerBlock(level) });
  const s = script.summary;
  report(`script: INSTALL [for personalization] + ${s.storeDataBlocks} STORE DATA blocks, ${s.dgis} DGIs (${s.secretDgis} secret, under the DEK), ${s.storeDataBytes} bytes`);
  for (const cmd of script.commands) {
    const r = await session.sendSecure(channel, cmd);
    const what = cmd.ins === 0xe6 ? 'INSTALL [for personalization]' : `STORE DATA block ${swByte(cmd.p2)}${cmd.p1 & 0x80 ? ' (last)' : ''}`;
    const rmac = channel.securityLevel & 0x10 ? ', R-MAC verified' : '';
    report(`${what}: ${swHex(r.sw)}${rmac}`);
    if (r.sw !== 0x9000) throw new Error(`${what} refused: ${swHex(r.sw)} (${describeSw(r.sw)})`);
  }
}

/** The application's life cycle byte from GET STATUS (inside the secure channel, as GP requires). */
async function applicationState(session: CardHostSession, channel: HostSecureChannel): Promise<number> {
  const r = await session.sendSecure(channel, getStatus(GET_STATUS_P1.APPLICATIONS, false, DEMO_APP_AID));
  if (r.sw !== 0x9000) throw new Error(`GET STATUS refused: ${swHex(r.sw)} (${describeSw(r.sw)})`);
  const entry = parseGetStatus(r.data).find((e) => equalBytes(e.aid, DEMO_APP_AID));
  if (!entry) throw new Error('GET STATUS did not list the application');
  return entry.lifeCycle;
}

export async function checkPlain(session: CardHostSession, dgi: Dgi, report: (line: string) => void): Promise<string | undefined> {
  const isRecord = dgi.tag >>> 8 >= 0x01 && dgi.tag >>> 8 <= 0x1e;
  const cmd = isRecord
    ? command(0x00, 0xb2, dgi.tag & 0xff, ((dgi.tag >>> 8) << 3) | 0x04, new Uint8Array(0), 256) // ISO 7816-4 §11.3.3 READ RECORD
    : getData(dgi.tag);
  const how = isRecord ? `READ RECORD SFI ${dgi.tag >>> 8} #${dgi.tag & 0xff}` : `GET DATA ${tagHex(dgi.tag)}`;
  const r = await session.send(cmd);
  const same = r.sw === 0x9000 && equalBytes(r.data, dgi.value);
  report(`read-back DGI ${tagHex(dgi.tag)} by ${how}: ${swHex(r.sw)}, ${r.data.length} bytes, ${same ? 'equal to what was written' : 'DIFFERENT from what was written'}`);
  return same ? undefined : `DGI ${tagHex(dgi.tag)} read back ${swHex(r.sw)} with different data`;
}

export async function checkSecret(session: CardHostSession, dgi: Dgi, report: (line: string) => void): Promise<string | undefined> {
  const r = await session.send(getData(dgi.tag));
  const refused = r.sw === 0x6982 && r.data.length === 0;
  report(`read-back secret DGI ${tagHex(dgi.tag)}: ${swHex(r.sw)} (${describeSw(r.sw)}) ${refused ? 'refused as it must be' : 'NOT REFUSED'}`);
  if (!refused) return `secret DGI ${tagHex(dgi.tag)} was readable (${swHex(r.sw)})`;
  if (dgi.value.length % 16 !== 0) return undefined; // a PIN block has no key check value
  const k = await session.send(command(0x80, 0xca, dgi.tag >>> 8, dgi.tag & 0xff, KCV_REQUEST, 256));
  const want = expectedKcvs(dgi.value);
  const same = k.sw === 0x9000 && equalBytes(stripKcvTlv(k.data), want);
  report(`key check values of DGI ${tagHex(dgi.tag)}: ${swHex(k.sw)} ${toHex(stripKcvTlv(k.data))} ${same ? 'match' : 'DIFFER'}`);
  return same ? undefined : `KCV of DGI ${tagHex(dgi.tag)} differs`;
}

function expectedKcvs(value: Uint8Array): Uint8Array {
  if (value.length <= 32) return kcvAes(value);
  const parts: number[] = [];
  for (let off = 0; off < value.length; off += 16) parts.push(...kcvAes(value.subarray(off, off + 16)));
  return Uint8Array.from(parts);
}

/** The card answers the KCV request as TLV 84 <kcvs>; accept the bare value too. */
function stripKcvTlv(data: Uint8Array): Uint8Array {
  return data[0] === 0x84 && data[1] === data.length - 2 ? data.subarray(2) : data;
}

function swByte(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

function levelName(level: number): string {
  const parts = [];
  if (level & 0x01) parts.push('C-MAC');
  if (level & 0x02) parts.push('C-DECRYPTION');
  if (level & 0x10) parts.push('R-MAC');
  if (level & 0x20) parts.push('R-ENC');
  return parts.join(', ') || 'no secure messaging';
}
