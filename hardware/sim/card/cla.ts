/**
 * Class byte decoding (ISO 7816-4 §5.4.1, GPC v2.3.1 §11.1.4).
 *
 *   00-0F  first interindustry: b4b3 secure messaging, b2b1 channel 0..3
 *   10-1F  the same with command chaining (b5)
 *   40-7F  further interindustry: b6 SM, b5 chaining, b4-b1 channel 4..19
 *   80-8F  GlobalPlatform, coded as the first interindustry class
 *   90-9F  GlobalPlatform with chaining
 *   C0-FE  GlobalPlatform, coded as the further interindustry class
 *   20-3F, A0-BF, FF  RFU / invalid
 *
 * This card has no logical channels (6881 for any channel but 0, GPC table
 * 11-10), no command chaining (6884, ISO 7816-4 table 6) and only the
 * GlobalPlatform secure messaging format (b4b3 = 01); ISO secure messaging
 * (b4 set) is 6882.
 */
export interface ClassInfo {
  /** b8: a GlobalPlatform (proprietary) command rather than an ISO one. */
  readonly gp: boolean;
  /** b3 (first interindustry) set: GP secure messaging (C-MAC present). */
  readonly sm: boolean;
}

export type ClassCheck = { readonly ok: true; readonly info: ClassInfo } | { readonly ok: false; readonly sw: number };

export function decodeCla(cla: number): ClassCheck {
  if (cla === 0xff || (cla >= 0x20 && cla <= 0x3f) || (cla >= 0xa0 && cla <= 0xbf)) return { ok: false, sw: 0x6e00 };
  if ((cla & 0x40) !== 0) return { ok: false, sw: 0x6881 };
  if ((cla & 0x10) !== 0) return { ok: false, sw: 0x6884 };
  if ((cla & 0x03) !== 0) return { ok: false, sw: 0x6881 };
  if ((cla & 0x08) !== 0) return { ok: false, sw: 0x6882 };
  return { ok: true, info: { gp: (cla & 0x80) !== 0, sm: (cla & 0x04) !== 0 } };
}
