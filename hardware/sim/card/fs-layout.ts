/**
 * The file system a new card leaves the factory with ("0th issuance": MF,
 * then one DF per application, DESIGN §1):
 *
 *   3F00 MF
 *   ├── 2F00 EF.DIR   linear variable, SFI 1E, records of 64 max, 8 max;
 *   │                 record 1 = 61 { 4F <application AID>, 50 "CARDLINE" }
 *   ├── 2F01 EF.ATR   transparent, SFI 1D: 47 card capabilities, 46 pre-issuing data
 *   └── 5000 DF       the issuer's working DF
 *       ├── 5001      transparent, 128 bytes of 00, SFI 01
 *       ├── 5002      linear fixed, 8 records of 32 bytes of 00, SFI 02
 *       └── 5003      linear variable, up to 16 records of up to 64 bytes, empty, SFI 03
 *
 * EF.DIR and EF.ATR follow ISO 7816-4 §8.2.1 (application templates,
 * ATR/INFO). The 5000 subtree is ours, for the life-cycle work.
 */
import { concat } from '../../../card/bytes.js';
import { encodeTlv } from '../../../card/tlv.js';
import type { DfNode, EfNode } from './state.js';

function ef(fields: Partial<EfNode> & Pick<EfNode, 'kind' | 'fid'>): EfNode {
  return { sfi: undefined, data: new Uint8Array(0), recordLength: 0, maxRecords: 0, records: [], ...fields };
}

const LABEL = new TextEncoder().encode('CARDLINE');
const PRE_ISSUING = new TextEncoder().encode('CLSIM');

export function factoryFileSystem(appAid: Uint8Array): DfNode {
  const dirRecord = encodeTlv(0x61, concat(encodeTlv(0x4f, appAid), encodeTlv(0x50, LABEL)));
  return {
    kind: 'df',
    fid: 0x3f00,
    name: undefined,
    children: [
      ef({ kind: 'linear-variable', fid: 0x2f00, sfi: 0x1e, recordLength: 64, maxRecords: 8, records: [dirRecord] }),
      ef({
        kind: 'transparent',
        fid: 0x2f01,
        sfi: 0x1d,
        data: concat(encodeTlv(0x47, Uint8Array.of(0xfe, 0x21, 0x00)), encodeTlv(0x46, PRE_ISSUING)),
      }),
      {
        kind: 'df',
        fid: 0x5000,
        name: undefined,
        children: [
          ef({ kind: 'transparent', fid: 0x5001, sfi: 0x01, data: new Uint8Array(128) }),
          ef({
            kind: 'linear-fixed',
            fid: 0x5002,
            sfi: 0x02,
            recordLength: 32,
            maxRecords: 8,
            records: Array.from({ length: 8 }, () => new Uint8Array(32)),
          }),
          ef({ kind: 'linear-variable', fid: 0x5003, sfi: 0x03, recordLength: 64, maxRecords: 16 }),
        ],
      },
    ],
  };
}
