/** The PC/SC driver (docs/pcsc.md): reader watcher, transport, plain-reader station, listing. */
export { PcscReaders, type PcscReaderInfo, type PcscReadersOptions } from './pcsc-readers.js';
export { PcscTransport, type PcscProtocol, type PcscTransportOptions } from './pcsc-transport.js';
export { PcscStation, type PcscStationOptions } from './pcsc-station.js';
export { PcscReaderIdentity } from './pcsc-identity.js';
export { listPcscReaders } from './list-readers.js';
export { parseReaderName, READER_ID_PATTERN, type ParsedReaderName } from './reader-name.js';
export { parseAtr, extendedLengthIn, type AtrInfo } from './atr.js';
export { PcscError, isPcscError, type PcscErrorCode } from './errors.js';
export { pcscdSocketPath, probePcscd, DEFAULT_PCSCD_SOCKET } from './service.js';
