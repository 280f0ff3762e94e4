/**
 * The `mcast` command line: registers the subcommands and maps errors to exit codes, tcpdump-style:
 * usage errors exit 2 with one line and the usage hint; system and file errors exit 1 with one line; never a stack
 * trace (set MCAST_DEBUG=1 to see one). Each subcommand lives in its own module and stays thin.
 */
import { Command, CommanderError } from 'commander';
import { McastError, UsageError } from '../errors.js';
import { registerCommands } from './commands.js';

export { canExitNow } from './exit.js';

export const VERSION = '0.1.0';

export async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command();
  program
    .name('mcast')
    .description('IPv4 multicast at the packet level: sniff, replay, craft and inject IGMP; map groups; send and listen')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    // Root options (-V/--version) only before the subcommand, for every command alike: `querier --version 2` is
    // the IGMP version, whichever command modules were loaded.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  await registerCommands(program, argv);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ outputError: () => {} });
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `mcast replay big.pcap | head` closes the pipe early: that is a normal end, not a crash.
    if (err.code === 'EPIPE') process.exit(0);
  });
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return report(err, program);
  }
}

function report(err: unknown, program: Command): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    const msg = err.message.replace(/^error: /, '');
    process.stderr.write(`mcast: ${msg}\n${usageHint(program)}\n`);
    return 2;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`mcast: ${err.message}\n${usageHint(program)}\n`);
    return 2;
  }
  if (err instanceof McastError) {
    process.stderr.write(`mcast: ${err.message}\n`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (process.env.MCAST_DEBUG === '1' && e?.stack) process.stderr.write(`${e.stack}\n`);
  const detail = e?.code ? `${e.message} (${e.code})` : String(e?.message ?? err);
  process.stderr.write(`mcast: ${detail}\n`);
  return 1;
}

/** The usage line of the deepest subcommand named in argv (`mcast inject query ...` -> inject query). */
function usageHint(program: Command): string {
  const names: string[] = [];
  let cmd: Command = program;
  for (const arg of process.argv.slice(2)) {
    const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (sub === undefined) break;
    names.push(sub.name());
    cmd = sub;
  }
  if (names.length === 0) return 'see: mcast --help';
  const path = names.join(' ');
  return `usage: mcast ${path} ${cmd.usage()}  (see: mcast ${path} --help)`;
}
