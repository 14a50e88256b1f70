/**
 * `listPcscReaders`: the PC/SC readers attached now, each with what its
 * name tells (descriptor, registry ID) and whether a card is in it. For
 * `cardline hw list`. Never hangs: pcscd absent or silent rejects PcscError
 * 'NO_SERVICE' ("no PC/SC service") within the timeout.
 */
import { PcscReaders, type PcscReaderInfo, type PcscReadersOptions } from './pcsc-readers.js';

export async function listPcscReaders(opts: PcscReadersOptions = {}): Promise<PcscReaderInfo[]> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const readers = await PcscReaders.open({ ...opts, timeoutMs });
  try {
    await readers.settled(timeoutMs);
    return readers.names.map((n) => readers.info(n)!).filter((i) => i !== undefined);
  } finally {
    await readers.close();
  }
}
