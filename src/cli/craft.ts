/**
 * `mcast craft KIND ...` builds IGMP frames (src/craft) and prints, writes (-w) or sends (-i) them;
 * `mcast inject KIND ... -i IFACE` is the same with the interface required. Thin: parse, call src/craft, format.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { parseIpv4, parseMac } from '../wire/addr.js';
import { CaptureWriter } from '../pcap/writer.js';
import { LinkType } from '../pcap/constants.js';
import { decodeHexFrame } from '../replay/hex.js';
import { formatFrameLine } from '../format/frame-text.js';
import { LineSink } from '../format/sink.js';
import { craft, type CraftKind, type CraftSpec, type VlanSpec } from '../craft/craft.js';
import { parseRecordArg, readRecordsFile } from '../craft/records.js';
import { sendInterface } from '../craft/iface.js';
import { checkCarrier, checkFramesFit, interfaceIpRoom, openSender, runFrames, type Sender } from '../craft/run.js';
import { withStopSignals } from '../host/cli-support.js';
import { intArg, numberArg } from './args.js';
import type { GroupRecordRepr } from '../wire/igmp.js';

// ---------------------------------------------------------------------------------------------------------------
// Argument parsers (one-line UsageErrors)

function collect<T>(parse: (text: string) => T) {
  return (text: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(text)];
}

function ipText(what: string) {
  return (text: string): string => {
    if (parseIpv4(text) === null) throw new UsageError(`${what}: not an IPv4 address: ${JSON.stringify(text)}`);
    return text;
  };
}

function groupText(what: string) {
  return (text: string): string => {
    const v = parseIpv4(text);
    if (v === null) throw new UsageError(`${what}: not an IPv4 address: ${JSON.stringify(text)}`);
    if (v >>> 28 !== 0xe) throw new UsageError(`${what}: ${text} is not a multicast group (224.0.0.0/4)`);
    return text;
  };
}

function macText(what: string) {
  return (text: string): string => {
    if (parseMac(text) === null) throw new UsageError(`${what}: not a MAC address: ${JSON.stringify(text)}`);
    return text;
  };
}

/** A number in decimal or 0x-hex. */
function codeArg(what: string, max: number) {
  return (text: string): number => {
    const v = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^\d+$/.test(text) ? Number(text) : NaN;
    if (Number.isNaN(v)) throw new UsageError(`${what}: not a number: ${JSON.stringify(text)} (decimal, or hex with 0x)`);
    if (v > max) throw new UsageError(`${what}: ${text} is out of range 0-${max}`);
    return v;
  };
}

/** A 16-bit checksum, always hex (with or without 0x), as tcpdump and Wireshark print it. */
function checksumArg(what: string) {
  return (text: string): number => {
    const m = /^(?:0x)?([0-9a-f]{1,4})$/i.exec(text);
    if (m === null) throw new UsageError(`${what}: not a 16-bit hex value: ${JSON.stringify(text)}`);
    return Number.parseInt(m[1]!, 16);
  };
}

/** `--vlan ID[:PCP]`. */
function vlanArg(text: string): VlanSpec {
  const m = /^(\d{1,4})(?::(\d))?$/.exec(text);
  if (m === null) throw new UsageError(`--vlan: expected ID or ID:PCP, got ${JSON.stringify(text)}`);
  const vid = Number(m[1]);
  if (vid > 4095) throw new UsageError(`--vlan: VLAN ID ${vid} is out of range 0-4095`);
  const pcp = m[2] === undefined ? 0 : Number(m[2]);
  if (pcp > 7) throw new UsageError(`--vlan: priority ${pcp} is out of range 0-7`);
  return { vid, pcp };
}

/** `--source A[,B...]`, repeatable. */
function sourcesArg(text: string, previous: string[] | undefined): string[] {
  const list = text.split(',').filter((s) => s !== '').map(ipText('--source'));
  if (list.length === 0) throw new UsageError('--source: no address');
  return [...(previous ?? []), ...list];
}

// ---------------------------------------------------------------------------------------------------------------
// Commands

interface Opts {
  interface?: string;
  write?: string;
  hex?: boolean;
  json?: boolean;
  quiet?: boolean;
  count: number;
  interval: number;
  mtu?: number;
  split: boolean;
  srcIp?: string;
  dstIp?: string;
  srcMac?: string;
  dstMac?: string;
  ttl?: number;
  tos?: number;
  routerAlert: boolean;
  ipChecksum?: number;
  ipId?: number;
  vlan?: VlanSpec[];
  checksum?: number;
  maxRespCode?: number;
  // query
  source?: string[];
  maxResp?: number;
  sFlag?: boolean;
  qrv?: number;
  qqi?: number;
  qqic?: number;
  // v3 report
  record?: string[];
  recordsFile?: string[];
}

/**
 * The commands: each makes one kind of message (queries in three versions, as reports are), with its positional
 * argument, summary and help examples ([command, what it does]). The version is in the name rather than in a
 * --version option, which the root command owns.
 */
interface KindCommand {
  name: string;
  aliases: string[];
  kind: CraftKind;
  version?: 1 | 2 | 3;
  args: '' | '<group>' | '[group]';
  summary: string;
  examples: [string, string][];
}

const KINDS: KindCommand[] = [
  {
    name: 'query',
    aliases: ['v3-query'],
    kind: 'query',
    version: 3,
    args: '[group]',
    summary: 'IGMPv3 query: general (no group), group-specific, or group-and-source-specific (--source)',
    examples: [
      ['query', 'general query to 224.0.0.1, max resp 10 s'],
      ['query 239.1.1.1', 'group-specific query to 239.1.1.1, max resp 1 s'],
      ['query 232.1.1.1 --source 10.0.0.1,10.0.0.2', 'group-and-source-specific query'],
      ['query --qrv 3 --qqi 60 --s-flag', 'S flag, QRV 3 and the QQIC of 60 s'],
      ['query --max-resp 30', 'Max Resp Code 0x93: the exponent form, 30.4 s'],
    ],
  },
  {
    name: 'v2-query',
    aliases: [],
    kind: 'query',
    version: 2,
    args: '[group]',
    summary: 'IGMPv2 query (RFC 2236): general, or group-specific',
    examples: [
      ['v2-query --max-resp 20', 'general query, max resp 20 s'],
      ['v2-query 239.1.1.1', 'group-specific query, max resp 1 s'],
    ],
  },
  { name: 'v1-query', aliases: [], kind: 'query', version: 1, args: '', summary: 'IGMPv1 query (RFC 1112): general only', examples: [['v1-query', '']] },
  { name: 'v1-report', aliases: [], kind: 'v1-report', args: '<group>', summary: 'IGMPv1 membership report (RFC 1112), sent to the group', examples: [['v1-report 239.1.1.1', '']] },
  { name: 'v2-report', aliases: [], kind: 'v2-report', args: '<group>', summary: 'IGMPv2 membership report (RFC 2236), sent to the group', examples: [['v2-report 239.1.1.1', '']] },
  {
    name: 'leave',
    aliases: ['v2-leave'],
    kind: 'leave',
    args: '<group>',
    summary: 'IGMPv2 leave group (RFC 2236), sent to 224.0.0.2',
    examples: [['leave 239.1.1.1', ''], ['leave 239.1.1.1 --checksum 0', 'with a wrong checksum']],
  },
  {
    name: 'v3-report',
    aliases: [],
    kind: 'v3-report',
    args: '',
    summary: 'IGMPv3 membership report (RFC 3376) with group records, sent to 224.0.0.22',
    examples: [
      ['v3-report -r "239.1.1.1 exclude"', 'join 239.1.1.1, any source (TO_EX {})'],
      ['v3-report -r "232.1.1.1 include 10.0.0.1,10.0.0.2"', 'source-specific join (TO_IN {S1,S2})'],
      ['v3-report -r "239.1.1.1 include"', 'leave 239.1.1.1 (TO_IN {})'],
      ['v3-report -r "239.1.1.1 is-ex" -r "232.1.1.1 allow 10.0.0.3"', 'two records in one report'],
      ['v3-report -f records.txt', 'records from a file, split to the MTU'],
    ],
  },
];

function examplesText(name: string, examples: [string, string][], inject: boolean): string {
  const lines = examples.map(([c, what]) => [`mcast ${name} ${c}${inject ? ' -i eth0' : ''}`, what] as const);
  const width = Math.max(...lines.map(([c]) => c.length));
  return lines.map(([c, what]) => `  ${what === '' ? c : `${c.padEnd(width)}  ${what}`}`).join('\n');
}

const RECORD_HELP = `
Group records (-r and the lines of a records file): GROUP TYPE [SOURCE[,SOURCE...]]
  TYPE: is-in, is-ex, to-in, to-ex, allow, block (RFC 3376 section 6.4), the RFC names (MODE_IS_INCLUDE,
  CHANGE_TO_EXCLUDE_MODE, ...), a code 0-255, or include / exclude, which mean the filter-mode CHANGE records
  TO_IN / TO_EX: what a host sends when it joins ("G exclude", "G include S1,S2") or leaves ("G include").
  A records file is that text form ('#' comments) or JSON: [{"group": "239.1.1.1", "type": "to-ex", "sources": []}].
  Reports that would exceed the MTU (the interface's with -i, else --mtu, default 1500) are split as RFC 3376
  section 4.2.16 says; sources of an exclude record that cannot fit are left out with a warning.`;

const COMMON_HELP = `
Defaults (RFC 1112, 2236, 3376): TTL 1, TOS 0xc0, Router Alert, destination by message type, destination MAC by
the 01-00-5e mapping, checksums computed; with -i, source MAC and IP are the interface's (else 00:00:00:00:00:00
and 0.0.0.0). Every default can be overridden, wrong on purpose included (--checksum 0, --ttl 64,
--no-router-alert). Output: one decoded line per frame (as mcast replay prints), or --hex lines (mcast decode reads
them), or --json; -w writes a capture file (.pcapng: pcapng, else pcap); -i sends. --count repeats every
--interval ms (only sending waits; a file gets timestamps --interval apart).`;

function addCommonOptions(cmd: Command, inject: boolean): Command {
  const iface = new Option('-i, --interface <iface>', inject ? 'send on this interface (required)' : 'send on this interface (needs root or CAP_NET_RAW)');
  if (inject) iface.makeOptionMandatory();
  return cmd
    .addOption(iface)
    .option('-w, --write <file>', "write the frames to a capture file (.pcapng: pcapng, else pcap; '-': stdout)")
    .option('--hex', 'print each frame as one line of hex (mcast decode reads it back)')
    .option('--json', 'print each frame decoded, as one JSON object (as mcast decode --json)')
    .option('-q, --quiet', 'print nothing per frame')
    .addOption(new Option('-c, --count <n>', 'send (or write) the frames n times').argParser(intArg('--count', 1, 1_000_000_000)).default(1))
    .addOption(new Option('--interval <ms>', 'milliseconds between repetitions').argParser(intArg('--interval', 0, 86_400_000)).default(1000))
    .addOption(new Option('--src-ip <ip>', 'IP source (default: the interface address, else 0.0.0.0)').argParser(ipText('--src-ip')))
    .addOption(new Option('--dst-ip <ip>', 'IP destination (default by message type)').argParser(ipText('--dst-ip')))
    .addOption(new Option('--src-mac <mac>', 'Ethernet source (default: the interface MAC, else 00:00:00:00:00:00)').argParser(macText('--src-mac')))
    .addOption(new Option('--dst-mac <mac>', 'Ethernet destination (default: 01:00:5e + low 23 bits of the IP destination)').argParser(macText('--dst-mac')))
    .addOption(new Option('--ttl <n>', 'IP TTL (default 1)').argParser(intArg('--ttl', 0, 255)))
    .addOption(new Option('--tos <n>', 'IP TOS byte, decimal or 0x hex (default 0xc0)').argParser(codeArg('--tos', 0xff)))
    .option('--no-router-alert', 'leave out the IP Router Alert option')
    .addOption(new Option('--ip-checksum <hex>', 'IP header checksum as given (default: computed)').argParser(checksumArg('--ip-checksum')))
    .addOption(new Option('--ip-id <n>', 'IP identification (default 0)').argParser(intArg('--ip-id', 0, 0xffff)))
    .addOption(new Option('--vlan <id[:pcp]>', '802.1Q tag; repeat for QinQ, outer first (outer tags 0x88a8)').argParser(collect(vlanArg)))
    .addOption(new Option('--checksum <hex>', 'IGMP checksum as given (default: computed)').argParser(checksumArg('--checksum')))
    .addOption(new Option('--max-resp-code <n>', 'byte 1 of the IGMP message as given, decimal or 0x hex').argParser(codeArg('--max-resp-code', 0xff)))
    .addOption(new Option('--mtu <bytes>', "MTU that v3 reports are split to fit (default: the interface's, less QinQ tag bytes; else 1500)").argParser(intArg('--mtu', 68, 65535)));
}

function addKind(parent: Command, k: KindCommand, inject: boolean): void {
  const cmd = parent.command(k.name).aliases(k.aliases).description(k.summary);
  if (k.args === '<group>') cmd.argument('<group>', 'multicast group', groupText('group'));
  if (k.args === '[group]') cmd.argument('[group]', 'group of a specific query (absent: general query)', groupText('group'));
  if (k.version === 2) {
    cmd.addOption(new Option('--max-resp <seconds>', 'Max Resp Time in seconds, 0.1 s steps (default 10 general, 1 specific)').argParser(numberArg('--max-resp', 0, 25.5)));
  }
  if (k.version === 3) {
    cmd
      .addOption(new Option('--source <ip[,ip...]>', 'a source of a group-and-source-specific query (repeatable)').argParser(sourcesArg))
      .addOption(new Option('--max-resp <seconds>', 'Max Resp Time (default 10 general, 1 specific; exponent form from 12.8)').argParser(numberArg('--max-resp', 0, 3174.4)))
      .option('--s-flag', 'v3: set the S flag (Suppress Router-Side Processing)')
      .addOption(new Option('--qrv <n>', "v3: Querier's Robustness Variable (default 2)").argParser(intArg('--qrv', 0, 7)))
      .addOption(new Option('--qqi <seconds>', "v3: Querier's Query Interval, encoded as QQIC (default 125)").argParser(intArg('--qqi', 0, 31744)))
      .addOption(new Option('--qqic <n>', 'v3: QQIC byte as given, decimal or 0x hex').argParser(codeArg('--qqic', 0xff)));
  }
  if (k.kind === 'v3-report') {
    cmd
      .addOption(new Option('-r, --record <record>', 'a group record: "GROUP TYPE [SOURCES]" (repeatable)').argParser(collect((s: string) => s)))
      .addOption(new Option('-f, --records-file <file>', 'group records from a file, text or JSON (repeatable)').argParser(collect((s: string) => s)))
      .option('--no-split', 'send one report even when it exceeds the MTU (sending then refuses it)');
  }
  addCommonOptions(cmd, inject);
  const examples = examplesText(inject ? 'inject' : 'craft', k.examples, inject);
  cmd.addHelpText('after', `\nExamples:\n${examples}\n${k.kind === 'v3-report' ? RECORD_HELP : ''}${COMMON_HELP}`);
  cmd.action(async (...args: unknown[]) => {
    const positional = k.args === '' ? undefined : (args[0] as string | undefined);
    const opts = (k.args === '' ? args[0] : args[1]) as Opts;
    await runCraftCommand(k, positional, opts);
  });
}

function register(program: Command, name: 'craft' | 'inject'): void {
  const inject = name === 'inject';
  const parent = program
    .command(name)
    .description(
      inject
        ? 'send crafted IGMP frames on an interface (mcast craft with -i required)'
        : 'build IGMP messages as Ethernet frames, RFC defaults filled in and every field overridable; print, write or send them',
    );
  for (const k of KINDS) addKind(parent, k, inject);
  parent.addHelpText(
    'after',
    `\nExamples:\n` +
      `  mcast ${name} query -i eth0                            IGMPv3 general query\n` +
      `  mcast ${name} v2-report 239.1.1.1 -i eth0 -c 3 --interval 500\n` +
      `  mcast ${name} leave 239.1.1.1 -i eth0 --checksum 0     a leave with a wrong checksum\n` +
      `  mcast ${name} v3-report -r "239.1.1.1 exclude" -r "232.1.1.1 include 10.0.0.1,10.0.0.2" -i eth0\n` +
      (inject ? '' : `  mcast craft query 239.1.1.1 --hex | mcast decode -\n  mcast craft v3-report -f records.json -w reports.pcapng\n`) +
      `\nSee mcast ${name} KIND --help for each message's options.`,
  );
}

/** Registers `mcast craft` and its sending form `mcast inject`. */
export function registerCraft(program: Command): void {
  register(program, 'craft');
  register(program, 'inject');
}

function records(o: Opts): GroupRecordRepr[] {
  const out: GroupRecordRepr[] = [];
  (o.record ?? []).forEach((r, i) => out.push(parseRecordArg(r, `--record ${i + 1}`)));
  for (const f of o.recordsFile ?? []) out.push(...readRecordsFile(f));
  return out;
}

function specOf(k: KindCommand, group: string | undefined, o: Opts, iface: { mac: string | null; ipv4: string | null; mtu: number } | null): CraftSpec {
  const kind = k.kind;
  return {
    igmp: {
      kind,
      group,
      version: k.version,
      sources: o.source,
      maxResp: o.maxResp,
      maxRespCode: o.maxRespCode,
      s: o.sFlag,
      qrv: o.qrv,
      qqi: o.qqi,
      qqic: o.qqic,
      records: kind === 'v3-report' ? records(o) : undefined,
      checksum: o.checksum,
    },
    ip: {
      src: o.srcIp ?? iface?.ipv4 ?? undefined,
      dst: o.dstIp,
      ttl: o.ttl,
      tos: o.tos,
      routerAlert: o.routerAlert,
      checksum: o.ipChecksum,
      identification: o.ipId,
    },
    eth: { src: o.srcMac ?? iface?.mac ?? undefined, dst: o.dstMac, vlans: o.vlan },
    mtu: o.mtu ?? iface?.mtu,
    split: o.split !== false,
  };
}

function recordTypeShort(code: number): string {
  return ['', 'IS_IN', 'IS_EX', 'TO_IN', 'TO_EX', 'ALLOW', 'BLOCK'][code] ?? `type ${code}`;
}

async function runCraftCommand(k: KindCommand, group: string | undefined, o: Opts): Promise<void> {
  if ([o.hex, o.json].filter(Boolean).length > 1) throw new UsageError('--hex and --json are exclusive');
  if (o.write === '-' && (o.hex || o.json)) throw new UsageError('-w - writes the capture to standard output: no --hex or --json');
  // Refusals come before anything is sent or written: interface, carrier, frame sizes, then privileges.
  const iface = o.interface !== undefined ? sendInterface(o.interface) : null;
  if (iface !== null) checkCarrier(iface);
  // Split to what the interface takes in these VLAN tags, not to the bare MTU (interfaceIpRoom).
  const result = craft(specOf(k, group, o, iface === null ? null : { ...iface, mtu: interfaceIpRoom(iface, o.vlan) }));
  for (const d of result.dropped) {
    process.stderr.write(
      `mcast: warning: ${recordTypeShort(d.typeCode)} ${d.group}: ${d.sources.length} source(s) do not fit the MTU and are not reported (RFC 3376 section 4.2.16)\n`,
    );
  }
  if (iface !== null) checkFramesFit(result.frames, iface);

  const quiet = o.quiet === true || o.write === '-';
  const out = new LineSink(1);
  let sender: Sender | null = null;
  let writer: CaptureWriter | null = null;
  try {
    if (iface !== null) sender = openSender(iface);
    if (o.write !== undefined) {
      writer = CaptureWriter.create(o.write, {
        format: /\.pcapng$/i.test(o.write) ? 'pcapng' : 'pcap',
        linkType: LinkType.ETHERNET,
        ...(iface !== null ? { ifaceName: iface.name } : {}),
      });
    }
    let n = 0;
    const summary = await withStopSignals((signal) =>
      runFrames(result.frames, {
        count: o.count,
        intervalMs: o.interval,
        sender,
        writer,
        signal,
        onFrame: (f, _round, i) => {
          n++;
          if (!quiet) {
            if (o.hex) out.line(Buffer.from(f.bytes).toString('hex'));
            else {
              const j = decodeHexFrame(f.bytes, LinkType.ETHERNET, n);
              out.line(o.json ? JSON.stringify(j) : formatFrameLine(j).replace(/^\S+ \S+ /, ''));
            }
          }
          if (i === result.frames.length - 1) out.flush();
        },
      }),
    );
    out.flush();
    if (iface !== null && !quiet) {
      process.stderr.write(`mcast: sent ${summary.frames} frame${summary.frames === 1 ? '' : 's'} (${summary.bytes} bytes) on ${iface.name}\n`);
    }
  } finally {
    out.flush();
    sender?.close();
    writer?.close();
  }
}
