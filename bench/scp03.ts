/**
 * SCP03 secure-messaging throughput: how many STORE DATA blocks per second the
 * host can wrap and the card side can verify and decrypt, at each security level.
 * This bounds script building at the center and the simulated card's CPU cost;
 * real cards take ~50 ms per secured 255-byte block (docs/performance.md).
 *
 * Run: npx tsx bench/scp03.ts [blocks]
 */
import { randomBytes } from 'node:crypto';
import { command, encodeCommand, parseCommand } from '../card/apdu.js';
import { CardSecureChannel, HostSecureChannel, type StaticKeys } from '../card/scp03/index.js';

const BLOCKS = Number(process.argv[2] ?? 5000);
const PLAIN = 239; // the largest plaintext that still fits 255 bytes at SL 33 (240 ciphertext + 8 MAC)
const keys = (): StaticKeys => ({ enc: randomBytes(16), mac: randomBytes(16), dek: randomBytes(16), kvn: 0x30 });

function session(level: number): { host: HostSecureChannel; card: CardSecureChannel } {
  const k = keys();
  const hostChallenge = randomBytes(8);
  const aid = Uint8Array.from([0xa0, 0, 0, 1, 0x51, 0, 0, 0]);
  const { channel: card, response } = CardSecureChannel.initializeUpdate({
    keys: { ...k }, hostChallenge, kdd: new Uint8Array(10), i: 0x70, sequenceCounter: 1, aid, random: (n) => randomBytes(n),
  });
  const host = HostSecureChannel.open({ keys: k, hostChallenge, initUpdateResponse: response, securityLevel: level, aid });
  card.externalAuthenticate(parseCommand(encodeCommand(host.externalAuthenticate())));
  return { host, card };
}

function run(level: number): void {
  const { host, card } = session(level);
  const data = randomBytes(PLAIN);
  const t0 = process.hrtime.bigint();
  const wrapped = [];
  for (let i = 0; i < BLOCKS; i++) wrapped.push(encodeCommand(host.wrap(command(0x80, 0xe2, 0x00, i & 0xff, data))));
  const t1 = process.hrtime.bigint();
  for (const w of wrapped) card.unwrapCommand(parseCommand(w));
  const t2 = process.hrtime.bigint();
  const hostS = Number(t1 - t0) / 1e9;
  const cardS = Number(t2 - t1) / 1e9;
  const lvl = level.toString(16).padStart(2, '0');
  console.log(
    `SL ${lvl}: host wrap ${(BLOCKS / hostS).toFixed(0)} blocks/s (${((BLOCKS * PLAIN) / hostS / 1e6).toFixed(2)} MB/s), ` +
      `card unwrap ${(BLOCKS / cardS).toFixed(0)} blocks/s`,
  );
}

console.log(`SCP03 secure messaging, ${BLOCKS} STORE DATA blocks of ${PLAIN} bytes, node ${process.version}`);
for (const level of [0x01, 0x03, 0x33]) run(level);
