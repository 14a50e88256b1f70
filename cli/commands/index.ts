/** The command table. Each command lives in its own file. */
import type { Command } from '../command.js';
import { cardDemo } from './card-demo.js';
import { simCardCommand } from './sim-card.js';

export const COMMANDS: Command[] = [cardDemo, simCardCommand];
