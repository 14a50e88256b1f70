/**
 * Annotated byte fixtures of the serial dispenser protocol
 * (docs/serial-dispenser.md), in the zigbee-herdsman style: each constant
 * is what goes over the wire, split into its fields. They were worked out
 * by hand from the layout (BCC included), not captured from a device; the
 * unit tests decode and re-encode every one of them.
 *
 *   STX  LEN    SEQ CMD PM  DATA...  ETX BCC(XOR STX..ETX)
 */
import { hex } from '../../card/bytes.js';
import type { Frame } from './frame.js';

export interface FrameFixture {
  what: string;
  bytes: Uint8Array;
  frame: Frame;
}

const f = (what: string, bytes: string, seq: number, cmd: number, pm: number, data = ''): FrameFixture => ({
  what,
  bytes: hex(bytes.replace(/ /g, '')),
  frame: { seq, cmd, pm, data: hex(data) },
});

export const FIXTURES: readonly FrameFixture[] = [
  //  STX LEN   SEQ 'S' '0' ETX BCC
  f('STATUS command', '02 0003 01 53 30 03 60', 0x01, 0x53, 0x30),
  //  STX LEN   SEQ 'S' OK  bits=09 (card at IC | hopper low) count=0003 ETX BCC
  f('STATUS response: card at IC, hopper low, 3 left', '02 0006 01 53 00 09 0003 03 5F', 0x01, 0x53, 0x00, '090003'),
  //  STX LEN   SEQ 'F' '0' ETX BCC
  f('FEED command', '02 0003 02 46 30 03 76', 0x02, 0x46, 0x30),
  //  STX LEN   SEQ 'F' OK  label "CA4D000000000001" (16 ASCII) ETX BCC
  f('FEED response with the card label', '02 0013 02 46 00 43413444303030303030303030303031 03 25', 0x02, 0x46, 0x00, '43413444303030303030303030303031'),
  //  STX LEN   SEQ 'F' HOPPER_EMPTY(10) ETX BCC
  f('FEED refused: hopper empty', '02 0003 03 46 10 03 57', 0x03, 0x46, 0x10),
  //  STX LEN   SEQ 'E' JAM(20) ETX BCC
  f('EJECT refused: jam', '02 0003 04 45 20 03 63', 0x04, 0x45, 0x20),
  //  STX LEN   SEQ 'A' '0' C-APDU GET DATA 9F7F (CPLC) ETX BCC
  f('APDU command: GET DATA CPLC', '02 0008 05 41 30 80CA9F7F00 03 D7', 0x05, 0x41, 0x30, '80CA9F7F00'),
  //  STX LEN   SEQ 'A' OK  R-APDU SW 6A88 (referenced data not found) ETX BCC
  f('APDU response: SW 6A88', '02 0005 05 41 00 6A88 03 A2', 0x05, 0x41, 0x00, '6A88'),
];

/** A command frame with its last byte (BCC) flipped: the device NAKs it. */
export const BAD_BCC_STATUS = hex('0200030153300361');
