// Child process for the live capture tests: started with `ip netns exec NS node probe.mjs JSON` because a process
// cannot switch network namespace. Drives the compiled library (dist/) and prints one JSON object per line.
//   {mode:'capture', iface, options, count, timeoutMs, consume:'run'|'iterate'}  ready, frame..., stats, done
//   {mode:'stall', iface, options}        ready; waits for a line on stdin; stats (frames left unread meanwhile)
//   {mode:'inject', iface, frames:[hex]}  sent... or error
//   {mode:'open', iface, options}         ready or error
//   {mode:'list'} / {mode:'cli', argv}    interfaces as JSON / runs `mcast interfaces ...` through commander
import { once } from 'node:events';

const req = JSON.parse(process.argv[2]);
const dist = new URL('../../dist/', import.meta.url);
const lib = await import(new URL('capture/index.js', dist).href);
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const hex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex');
const fail = (err) => {
  out({ event: 'error', code: err?.code ?? null, message: String(err?.message ?? err), name: err?.name ?? null });
};

try {
  switch (req.mode) {
    case 'open': {
      const cap = lib.LiveCapture.open(req.iface, req.options ?? {});
      out({ event: 'ready', linkType: cap.linkType, snaplen: cap.snaplen, tsDigits: cap.tsDigits });
      cap.close();
      break;
    }
    case 'capture': {
      const cap = lib.LiveCapture.open(req.iface, req.options ?? {});
      let n = 0;
      const timer = setTimeout(() => cap.close(), req.timeoutMs ?? 10000);
      process.once('SIGINT', () => cap.close());
      out({ event: 'ready', linkType: cap.linkType, snaplen: cap.snaplen, tsDigits: cap.tsDigits });
      const onFrame = (f) => {
        out({
          event: 'frame',
          tsSec: f.tsSec,
          tsNsec: f.tsNsec,
          tsDigits: f.tsDigits,
          caplen: f.caplen,
          wirelen: f.wirelen,
          linkType: f.linkType,
          iface: f.iface,
          hex: hex(f.buf.subarray(f.offset, f.offset + f.caplen)),
        });
        if (++n >= (req.count ?? Infinity)) cap.close();
      };
      if (req.consume === 'iterate') {
        for await (const f of cap) onFrame(f);
      } else {
        await cap.run(onFrame);
      }
      clearTimeout(timer);
      out({ event: 'stats', ...cap.stats() });
      cap.close(); // idempotent
      out({ event: 'done', frames: n });
      break; // no process.exit: the test checks that nothing keeps the process alive
    }
    case 'stall': {
      const cap = lib.LiveCapture.open(req.iface, req.options ?? {});
      out({ event: 'ready', linkType: cap.linkType });
      process.stdin.setEncoding('utf8');
      await once(process.stdin, 'data');
      out({ event: 'stats', ...cap.stats() });
      cap.close();
      process.stdin.destroy();
      break;
    }
    case 'inject': {
      const inj = req.raw ? lib.LiveCapture.open(req.iface, { filter: 'less 1' }) : lib.openInjector(req.iface);
      out({ event: 'ready', linkType: inj.linkType });
      for (const h of req.frames) {
        if (req.downBefore) {
          const { execFileSync } = await import('node:child_process');
          execFileSync('ip', ['link', 'set', req.iface, 'down']);
        }
        out({ event: 'sent', bytes: inj.inject(Uint8Array.from(Buffer.from(h, 'hex'))) });
      }
      inj.close();
      break;
    }
    case 'list':
      out({ event: 'list', interfaces: lib.listInterfaces({ all: req.all === true }) });
      break;
    case 'cli': {
      const { Command } = await import('commander');
      const { registerInterfaces } = await import(new URL('cli/interfaces.js', dist).href);
      const program = new Command().exitOverride();
      registerInterfaces(program);
      await program.parseAsync(['node', 'mcast', ...req.argv]);
      break;
    }
    default:
      throw new Error(`unknown mode ${req.mode}`);
  }
} catch (err) {
  fail(err);
}
