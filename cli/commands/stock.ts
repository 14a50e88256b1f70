/** The commands of card stock: stock prepare, center stock register|list|withdraw (docs/provisioning.md §6). */
import type { Command } from '../command.js';
import { centerStockListCommand, centerStockRegisterCommand, centerStockWithdrawCommand } from './stock-center.js';
import { stockPrepareCommand } from './stock-prepare.js';

export function stockCommands(): Command[] {
  return [stockPrepareCommand, centerStockRegisterCommand, centerStockListCommand, centerStockWithdrawCommand];
}
