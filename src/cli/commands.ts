/** Every subcommand, registered in the order `mcast --help` lists them. */
import type { Command } from 'commander';
import { registerReplay } from './replay.js';
import { registerDecode } from './decode.js';
import { registerMap } from './map.js';
import { registerCraft } from './craft.js';

export function registerCommands(program: Command): void {
  registerReplay(program);
  registerDecode(program);
  registerMap(program);
  registerCraft(program);
}
