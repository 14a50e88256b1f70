/**
 * Finding keypads among the HID interfaces node-hid lists: for
 * `cardline hw list`, and to pick the one a keypad spec names.
 *
 * A keypad is an interface whose top-level collection is Generic Desktop
 * (usage page 0x01) Keyboard (0x06) or Keypad (0x07) (HID Usage Tables 1.4
 * §4). A device often has other interfaces too (consumer control, a vendor
 * collection): those are not keypads and are never opened as one.
 */
import { KeypadError } from '../keypad.js';
import type { DeviceDescriptor } from '../station.js';
import type { HidApi, HidDeviceInfo } from './hid-api.js';
import { formatKeypadSpec, hex4, type KeypadSpec } from './keypad-spec.js';

const GENERIC_DESKTOP = 0x01;
const KEYBOARD_USAGES = new Set([0x06, 0x07]);

/** One attached keypad, for display and selection. Never a secret. */
export interface KeypadInfo {
  /** The spec that selects exactly this keypad (with its serial when it has one). */
  spec: string;
  /** Its registry ID (`ReaderIdentity.id`, see `keypadRegistryId`). */
  id: string;
  /** The hidraw node (e.g. /dev/hidraw0). */
  path: string;
  descriptor: DeviceDescriptor;
  /** Manufacturer and product strings as the device reports them (may be empty). */
  manufacturer: string;
  productName: string;
  interface: number;
}

/** The device's serial, null for none (hidapi reports '' when the device has no serial string). */
export function deviceSerial(d: HidDeviceInfo): string | null {
  return d.serialNumber !== undefined && d.serialNumber !== '' ? d.serialNumber : null;
}

export function descriptorOf(d: HidDeviceInfo): DeviceDescriptor {
  return { vendor: hex4(d.vendorId), product: hex4(d.productId), serial: deviceSerial(d) };
}

function isKeyboardCollection(d: HidDeviceInfo): boolean {
  return d.usagePage === GENERIC_DESKTOP && d.usage !== undefined && KEYBOARD_USAGES.has(d.usage);
}

/** The descriptor did not say (a backend without report descriptors reports 0 or nothing). */
function usageUnknown(d: HidDeviceInfo): boolean {
  return d.usagePage === undefined || d.usagePage === 0;
}

/**
 * The registry ID a keypad reports (`ReaderIdentity.id`): `hid-VVVV-PPPP`,
 * then `-SERIAL` when it has one. A keyless keypad cannot be told an ID,
 * so it is derived from what it reports. Fits the registry's ID pattern
 * (wire/messages.ts `ID_PATTERN`, docs/reader-auth.md): characters of the
 * serial outside [A-Za-z0-9._-] become '_', and the whole is cut at 64.
 */
export function keypadRegistryId(descriptor: DeviceDescriptor): string {
  const serial = descriptor.serial === null ? '' : `-${descriptor.serial.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  return `hid-${descriptor.vendor}-${descriptor.product}${serial}`.slice(0, 64);
}

export function keypadInfo(d: HidDeviceInfo & { path: string }): KeypadInfo {
  const descriptor = descriptorOf(d);
  return {
    spec: formatKeypadSpec({ vendorId: d.vendorId, productId: d.productId, serial: descriptor.serial ?? undefined }),
    id: keypadRegistryId(descriptor),
    path: d.path,
    descriptor,
    manufacturer: d.manufacturer ?? '',
    productName: d.product ?? '',
    interface: d.interface,
  };
}

/**
 * The keypads attached now, sorted by path. An empty list when there are
 * none (no hidraw nodes at all included). Rejects KeypadError 'IO' only
 * when node-hid itself fails (its binding cannot load or enumerate).
 */
export async function listKeypads(api: HidApi): Promise<KeypadInfo[]> {
  let devices: HidDeviceInfo[];
  try {
    devices = await api.devicesAsync();
  } catch (e) {
    throw new KeypadError('IO', `cannot list HID devices: ${(e as Error).message}`);
  }
  return devices
    .filter((d): d is HidDeviceInfo & { path: string } => typeof d.path === 'string' && d.path !== '' && isKeyboardCollection(d))
    .map(keypadInfo)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The one interface `spec` names among `devices`: matching IDs (and serial,
 * when given) and a keyboard/keypad collection; an interface whose usage is
 * unknown counts only when no match has a known one. 'NOT_FOUND' for none,
 * 'AMBIGUOUS' for several (add the serial to the spec).
 */
export function selectKeypad(devices: readonly HidDeviceInfo[], spec: KeypadSpec): HidDeviceInfo & { path: string } {
  const matches = devices.filter(
    (d): d is HidDeviceInfo & { path: string } =>
      typeof d.path === 'string' &&
      d.path !== '' &&
      d.vendorId === spec.vendorId &&
      d.productId === spec.productId &&
      (spec.serial === undefined || deviceSerial(d) === spec.serial),
  );
  const known = matches.filter(isKeyboardCollection);
  const candidates = known.length > 0 ? known : matches.filter(usageUnknown);
  const name = formatKeypadSpec(spec);
  if (candidates.length === 0) {
    const why = matches.length > 0 ? 'the device has no keyboard or keypad interface' : 'no such device is attached';
    throw new KeypadError('NOT_FOUND', `keypad ${name}: ${why}`);
  }
  if (candidates.length > 1) {
    const serials = candidates.map((d) => deviceSerial(d) ?? '(none)').join(', ');
    throw new KeypadError('AMBIGUOUS', `keypad ${name}: ${candidates.length} interfaces match (serials: ${serials}); name one with hid:VVVV:PPPP:SERIAL`);
  }
  return candidates[0]!;
}
