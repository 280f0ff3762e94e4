/**
 * Loading the addon fails softly (no root needed): a missing or broken build becomes SystemError ERR_NO_LIBPCAP
 * with the install hint, the library still imports, and the live entry points report that same error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SystemError } from '../../src/errors.js';
import { INSTALL_HINT, loadNative } from '../../src/capture/native.js';
import { requireLive } from '../support/live.js';

const HINT_PARTS = ['apt-get install libpcap-dev', 'npm rebuild mcastkit', 'npm run build:native'];

describe('loadNative', () => {
  afterEach(() => {
    delete process.env.MCAST_NATIVE;
    vi.resetModules();
  });

  it('loads the built addon, or says what to install', () => {
    const n = loadNative();
    if (n instanceof SystemError) {
      // Under MCAST_REQUIRE_LIVE=1 (CI installs libpcap-dev and builds) a missing addon is a failure.
      expect(requireLive, n.message).toBe(false);
      expect(n.code).toBe('ERR_NO_LIBPCAP');
      for (const p of HINT_PARTS) expect(n.message).toContain(p);
    } else {
      expect(n.libVersion()).toMatch(/^libpcap version \d+\.\d+/);
      expect(n.META_WORDS).toBe(5);
    }
  });

  it('a missing build is ERR_NO_LIBPCAP naming the file and the install hint', () => {
    const r = loadNative('/nonexistent/mcastpcap.node');
    expect(r).toBeInstanceOf(SystemError);
    expect((r as SystemError).code).toBe('ERR_NO_LIBPCAP');
    expect((r as SystemError).message).toContain('/nonexistent/mcastpcap.node');
    expect((r as SystemError).message).toContain(INSTALL_HINT);
    expect((r as SystemError).message).not.toContain('\n');
  });

  it('a file that is not the addon is ERR_NO_LIBPCAP too, in one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcast-native-'));
    try {
      const bogus = join(dir, 'mcastpcap.node');
      writeFileSync(bogus, 'not an ELF object\n');
      const r = loadNative(bogus);
      expect(r).toBeInstanceOf(SystemError);
      expect((r as SystemError).code).toBe('ERR_NO_LIBPCAP');
      expect((r as SystemError).message).toMatch(/^live capture is unavailable: the libpcap addon failed to load \(/);
      expect((r as SystemError).message).not.toContain('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without the addon the library imports and every live entry point throws ERR_NO_LIBPCAP', async () => {
    process.env.MCAST_NATIVE = '/nonexistent/mcastpcap.node';
    vi.resetModules();
    const cap = await import('../../src/capture/index.js');
    const { registerInterfaces } = await import('../../src/cli/interfaces.js');
    expect(cap.nativeAvailable()).toBe(false);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return [(e as SystemError).name, (e as SystemError).code];
      }
      return null;
    };
    const want = ['SystemError', 'ERR_NO_LIBPCAP'];
    expect(code(() => cap.compileFilter(1, 'igmp'))).toEqual(want);
    expect(code(() => cap.LiveCapture.open('lo'))).toEqual(want);
    expect(code(() => cap.openInjector('lo'))).toEqual(want);
    expect(code(() => cap.listInterfaces())).toEqual(want);
    const program = new Command().exitOverride();
    registerInterfaces(program);
    await expect(program.parseAsync(['node', 'mcast', 'interfaces'])).rejects.toMatchObject({ code: 'ERR_NO_LIBPCAP' });
    // What does not need libpcap still works.
    expect(cap.interfaceState('lo')).toMatchObject({ name: 'lo', loopback: true });
  });
});

describe('interfaceState (sysfs, no addon)', () => {
  it('reads lo and refuses names that are not interface names', async () => {
    const { interfaceState, requireInterfaceUp } = await import('../../src/capture/interfaces.js');
    const lo = interfaceState('lo');
    expect(lo).toMatchObject({ name: 'lo', ifindex: 1, loopback: true, multicast: false, arpType: 772 });
    expect(lo!.mtu).toBeGreaterThan(0);
    for (const bad of ['', '.', '..', '../lo', 'a/b', 'x'.repeat(16), 'nope0']) expect(interfaceState(bad)).toBeNull();
    expect(() => requireInterfaceUp('nope0')).toThrow(expect.objectContaining({ code: 'ERR_NO_SUCH_INTERFACE' }));
  });
});
