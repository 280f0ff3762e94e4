/**
 * Source-specific listening in namespaces:
 *
 *   ns A (a1 10.1.0.1 and 10.1.0.3) ── veth ── (l1 10.1.0.2) ns L
 *
 * The listener joins 232.7.7.7 from 10.1.0.1 only. What arrives, what `mcast groups` shows, and the IGMPv3
 * reports the kernel sends are each checked against an independent reading: the senders' own reports, the
 * kernel's /proc/net/mcfilter and `ip maddr`, and tshark's decoding of the same reports captured by tcpdump.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveGate } from '../support/live.js';
import { Lab } from '../support/netns.js';
import { ensureBuilt, mcast, ndjson, sleep, startMcast, startNode, startTcpdump, tsharkFields } from './support.js';

const live = liveGate(['tcpdump', 'tshark']);
const GROUP = '232.7.7.7';
const RECORD_CODE: Record<string, number> = { MODE_IS_INCLUDE: 1, MODE_IS_EXCLUDE: 2, CHANGE_TO_INCLUDE_MODE: 3, CHANGE_TO_EXCLUDE_MODE: 4, ALLOW_NEW_SOURCES: 5, BLOCK_OLD_SOURCES: 6 };

describe.skipIf(!live.ok)('source-specific join (live)', () => {
  let lab: Lab;
  let L: string;
  let A: string;
  let dir: string;

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'mcast-ssm-'));
    lab = new Lab('ssm');
    L = lab.ns('L');
    A = lab.ns('A');
    lab.veth(A, 'a1', '10.1.0.1/24', L, 'l1', '10.1.0.2/24');
    lab.exec(A, 'ip', ['addr', 'add', '10.1.0.3/24', 'dev', 'a1']);
  });
  afterAll(() => {
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('receives only the chosen source, shows INCLUDE, and the kernel reports ALLOW/TO_IN with that source', async () => {
    const pcap = join(dir, 'igmp.pcap');
    const sniffer = startNode(lab, L, fileURLToPath(new URL('./fixtures/igmp-sniff.mjs', import.meta.url)), ['l1']);
    await sniffer.waitFor((x) => x.stdout.includes('ready'), 'the sniffer');
    const tcpdump = await startTcpdump(lab, L, 'l1', pcap, 'igmp');

    const ssm = startMcast(lab, L, ['listen', `${GROUP}:5000`, '-i', 'l1', '--source', '10.1.0.1', '--json', '--interval', '0']);
    await ssm.waitFor((x) => ndjson(x.stdout).some((o) => o.type === 'listening'), 'the join');

    // mcast groups against the kernel's own tables.
    const groups = JSON.parse(mcast(L, ['groups', '-i', 'l1', '--json']).stdout);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ name: 'l1', igmpVersion: 3, versionReason: 'default' });
    expect(groups[0].groups.find((g: any) => g.group === GROUP)).toEqual({ group: GROUP, mac: '01:00:5e:07:07:07', users: 1, mode: 'INCLUDE', sources: ['10.1.0.1'], reportPending: expect.any(Boolean) });
    expect(lab.exec(L, 'cat', ['/proc/net/mcfilter'])).toMatch(/l1 0xe8070707 0x0a010001\s+1\s+0/);
    expect(lab.exec(L, 'ip', ['maddr', 'show', 'dev', 'l1'])).toContain(`inet  ${GROUP}`);
    const table = mcast(L, ['groups', '-i', 'l1']).stdout;
    expect(table).toMatch(new RegExp(`^l1\\s+v3\\s+${GROUP.replace(/\./g, '\\.')}\\s+INCLUDE\\s+10\\.1\\.0\\.1\\s+1\\s+01:00:5e:07:07:07$`, 'm'));

    // Two sources send; -i ADDRESS makes the datagrams leave with that source address.
    const fromGood = mcast(A, ['send', `${GROUP}:5000`, '-i', '10.1.0.1', '-c', '3', '--rate', '1000', '--json', '--interval', '0']);
    const fromOther = mcast(A, ['send', `${GROUP}:5000`, '-i', '10.1.0.3', '-c', '4', '--rate', '1000', '--json', '--interval', '0']);
    expect(ndjson(fromGood.stdout)[0]).toMatchObject({ type: 'sending', source: '10.1.0.1', iface: 'a1' });
    expect(ndjson(fromOther.stdout)[0]).toMatchObject({ type: 'sending', source: '10.1.0.3', iface: 'a1' });
    await ssm.waitFor((x) => ndjson(x.stdout).filter((o) => o.type === 'datagram').length >= 3, 'three datagrams');

    // Control: an any-source listener on the same group and port does get the other source, so its datagrams
    // did reach L; the source-specific socket still filters them out.
    const asm = startMcast(lab, L, ['listen', `${GROUP}:5000`, '-i', 'l1', '--json', '--interval', '0']);
    await asm.waitFor((x) => ndjson(x.stdout).some((o) => o.type === 'listening'), 'the control join');
    mcast(A, ['send', `${GROUP}:5000`, '-i', '10.1.0.3', '-c', '2', '--rate', '1000', '--interval', '0']);
    await asm.waitFor((x) => ndjson(x.stdout).filter((o) => o.type === 'datagram').length >= 2, 'the control to receive');
    await sleep(200);
    expect(await asm.stop('SIGTERM')).toBe(0);
    expect(await ssm.stop('SIGINT')).toBe(0);

    const got = ndjson(ssm.stdout).filter((o) => o.type === 'datagram');
    expect(got.map((d) => d.source)).toEqual(['10.1.0.1', '10.1.0.1', '10.1.0.1']);
    expect(ndjson(asm.stdout).filter((o) => o.type === 'datagram').map((d) => d.source)).toEqual(['10.1.0.3', '10.1.0.3']);

    await sleep(1500); // the leave and its retransmission
    await sniffer.stop('SIGTERM');
    await tcpdump.stop('SIGINT');

    const reports = ndjson(sniffer.stdout).filter((m) => m.igmp.typeCode === 0x22 && m.source === '10.1.0.2');
    const records = reports.flatMap((m) => m.igmp.records.filter((r: any) => r.group === GROUP));
    expect(records.length).toBeGreaterThan(0);
    // RFC 3376 section 5.1: the first change for a new source-specific membership is ALLOW(S) (or TO_IN(S)).
    expect(['ALLOW_NEW_SOURCES', 'CHANGE_TO_INCLUDE_MODE']).toContain(records[0].type);
    expect(records[0].sources).toEqual(['10.1.0.1']);
    for (const m of reports) expect(m).toMatchObject({ destination: '224.0.0.22', igmp: { version: 3, checksumOk: true } });
    // The control's any-source join turned the interface to EXCLUDE, and after both left, the group is gone:
    // the last record for it leaves (BLOCK(S) or TO_IN{}).
    expect(records.some((r: any) => r.type === 'CHANGE_TO_EXCLUDE_MODE' && r.sources.length === 0)).toBe(true);
    const last = records[records.length - 1];
    const leaves = (last.type === 'BLOCK_OLD_SOURCES' && last.sources.join() === '10.1.0.1') || (last.type === 'CHANGE_TO_INCLUDE_MODE' && last.sources.length === 0);
    expect([last.type, last.sources, leaves]).toEqual([last.type, last.sources, true]);

    // tshark's decoding of the same reports, packet by packet: record types, groups and sources.
    const shark = tsharkFields(pcap, ['ip.src', 'igmp.record_type', 'igmp.maddr', 'igmp.saddr'], 'igmp.type == 0x22 && ip.src == 10.1.0.2');
    const ours = reports.map((m) => [
      m.source,
      m.igmp.records.map((r: any) => String(RECORD_CODE[r.type] ?? r.typeCode)).join(','),
      m.igmp.records.map((r: any) => r.group).join(','),
      m.igmp.records.flatMap((r: any) => r.sources).join(','),
    ]);
    expect(ours).toEqual(shark.map((f) => [f[0], f[1], f[2], f[3] ?? '']));
  });
  it('on an interface forced to IGMPv2, mcast listen warns, and the kernel indeed sends an any-source v2 report', async () => {
    lab.exec(L, 'sysctl', ['-qw', 'net.ipv4.conf.l1.force_igmp_version=2']);
    const sniffer = startNode(lab, L, fileURLToPath(new URL('./fixtures/igmp-sniff.mjs', import.meta.url)), ['l1']);
    try {
      await sniffer.waitFor((x) => x.stdout.includes('ready'), 'the sniffer');
      const r = mcast(L, ['listen', '232.7.7.8:5002', '-i', 'l1', '--source', '10.1.0.1', '--json', '--duration', '0.5']);
      expect(r.status).toBe(0);
      const banner = ndjson(r.stdout).find((o) => o.type === 'listening')!;
      expect(banner.notes).toContain('l1 speaks IGMPv2 (force_igmp_version=2): the network sees these source-specific joins as any-source joins');
      await sniffer.waitFor((x) => ndjson(x.stdout).some((m) => m.igmp.group === '232.7.7.8'), 'the report');
      const first = ndjson(sniffer.stdout).find((m) => m.igmp.group === '232.7.7.8')!;
      expect(first.igmp).toMatchObject({ typeCode: 0x16, version: 2, type: 'report' }); // no sources in a v2 report
    } finally {
      await sniffer.stop('SIGTERM');
      lab.exec(L, 'sysctl', ['-qw', 'net.ipv4.conf.l1.force_igmp_version=0']);
    }
  });
});
