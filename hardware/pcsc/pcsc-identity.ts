/**
 * The identity of a plain PC/SC reader: what its name reports (reader-name.ts).
 * It holds no key, so it cannot sign: the center authenticates it by
 * identity match against the registry (station.ts, DeviceDescriptor).
 */
import type { DeviceDescriptor, ReaderIdentity } from '../station.js';
import type { ParsedReaderName } from './reader-name.js';

export class PcscReaderIdentity implements ReaderIdentity {
  readonly kind = 'pcsc' as const;
  readonly canSign = false;
  readonly id: string;
  readonly descriptor: DeviceDescriptor;

  constructor(parsed: ParsedReaderName) {
    this.id = parsed.id;
    this.descriptor = parsed.descriptor;
  }

  sign(_message: Uint8Array): Promise<Uint8Array | undefined> {
    return Promise.resolve(undefined);
  }
}
