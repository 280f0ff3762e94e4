/**
 * Every subcommand, in the order `mcast --help` lists them. Modules load on demand: `mcast replay` loads only the
 * replay command's code (startup is part of every replay's time: measured 60 ms for loading everything against
 * 15 ms for one command), while help and unknown commands load them all.
 */
import type { Command } from 'commander';

type Loader = (program: Command) => Promise<void>;

const COMMANDS: [string[], Loader][] = [
  [['sniff'], async (p) => (await import('./sniff.js')).registerSniff(p)],
  [['replay'], async (p) => (await import('./replay.js')).registerReplay(p)],
  [['decode'], async (p) => (await import('./decode.js')).registerDecode(p)],
  [['map'], async (p) => (await import('./map.js')).registerMap(p)],
  [['craft', 'inject'], async (p) => (await import('./craft.js')).registerCraft(p)],
  [['interfaces'], async (p) => void (await import('./interfaces.js')).registerInterfaces(p)],
  [['listen'], async (p) => (await import('./listen.js')).registerListen(p)],
  [['send'], async (p) => (await import('./send.js')).registerSend(p)],
  [['groups'], async (p) => (await import('./groups.js')).registerGroups(p)],
  [['doctor'], async (p) => (await import('./doctor.js')).registerDoctor(p)],
  [['querier'], async (p) => (await import('./querier.js')).registerQuerier(p)],
];

/** Register the command named in argv (and its aliases' module), or all of them when none matches. */
export async function registerCommands(program: Command, argv: string[]): Promise<void> {
  const name = argv[2];
  const hit = COMMANDS.find(([names]) => name !== undefined && names.includes(name));
  if (hit !== undefined) {
    await hit[1](program);
    return;
  }
  for (const [, load] of COMMANDS) await load(program);
}
