/** The command table. Each command lives in its own file. */
import type { Command } from '../command.js';
import { cardDemo } from './card-demo.js';
import { auditVerifyCommand } from './audit-verify.js';
import { brokerConfigCommand } from './broker-config.js';
import { kioskModeCommand } from './center-kiosk-mode.js';
import { applicationsAddCommand, jobVoidCommand, kioskAddCommand, kioskRevokeCommand, readerAddCommand, readerRemoveCommand } from './center-admin.js';
import { centerCommand } from './center.js';
import { operatorCommands } from './center-operators.js';
import { demoCommand } from './demo.js';
import { enrolCommands } from './enrol.js';
import { fleetOpsCommands } from './fleet-ops.js';
import { kioskFleetCommands } from './kiosk-fleet.js';
import { hwListCommand } from './hw-list.js';
import { hwTestCommand } from './hw-test.js';
import { keystoreCheckCommand, keystoreSealCommand } from './keystore.js';
import { kioskCommand } from './kiosk.js';
import { kioskPinHashCommand } from './kiosk-pin-hash.js';
import { pkiFleetCommands } from './pki-fleet.js';
import { pkiInitCommand } from './pki-init.js';
import { simCardCommand } from './sim-card.js';
import { stockCommands } from './stock.js';
import { simStationInitCommand, simStationStatusCommand } from './sim-station.js';

export const COMMANDS: Command[] = [
  demoCommand,
  centerCommand,
  kioskAddCommand,
  kioskRevokeCommand,
  kioskModeCommand,
  readerAddCommand,
  readerRemoveCommand,
  applicationsAddCommand,
  jobVoidCommand,
  ...operatorCommands(),
  auditVerifyCommand,
  kioskCommand,
  kioskPinHashCommand,
  keystoreSealCommand,
  keystoreCheckCommand,
  hwListCommand,
  hwTestCommand,
  pkiInitCommand,
  brokerConfigCommand,
  ...pkiFleetCommands(),
  ...enrolCommands(),
  ...fleetOpsCommands(),
  ...kioskFleetCommands(),
  ...stockCommands(),
  cardDemo,
  simCardCommand,
  simStationInitCommand,
  simStationStatusCommand,
];
