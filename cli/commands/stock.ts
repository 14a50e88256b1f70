/** The commands of card stock: stock prepare, center stock register|list|withdraw (docs/provisioning.md §6). */
import type { Command } from '../command.js';

export function stockCommands(): Command[] {
  return [];
}
