/** `mcast decode HEX|-`: one frame from hex (or hex lines on stdin), same outputs as replay. */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { decodeHexFrame, LINK_NAMES, parseHexFrame } from '../replay/hex.js';
import { formatFrameLine } from '../format/frame-text.js';
import { LineSink } from '../format/sink.js';

export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description("decode frames given as hex (one per argument, or one per line on stdin with '-')")
    .argument('<hex...>', "frame bytes in hex, or '-' for hex lines on standard input")
    .option('--json', 'one JSON object per frame')
    .addOption(new Option('--link <type>', 'link-layer type of the bytes').choices(Object.keys(LINK_NAMES)).default('ethernet'))
    .action((hex: string[], o: { json?: boolean; link: string }) => {
      const linkType = LINK_NAMES[o.link]!;
      const frames: { text: string; where: string }[] = [];
      for (const [i, h] of hex.entries()) {
        if (h === '-') {
          const lines = readFileSync(0, 'utf8').split('\n');
          lines.forEach((l, j) => {
            if (l.trim() !== '' && !l.trimStart().startsWith('#')) frames.push({ text: l, where: `stdin line ${j + 1}` });
          });
        } else frames.push({ text: h, where: `argument ${i + 1}` });
      }
      if (frames.length === 0) throw new UsageError('no frames on standard input');
      const out = new LineSink(1);
      let failed = false;
      frames.forEach((f, i) => {
        const bytes = parseHexFrame(f.text, f.where);
        const j = decodeHexFrame(bytes, linkType, i + 1);
        if (j.error !== undefined) failed = true;
        out.line(o.json ? JSON.stringify(j) : formatFrameLine(j).replace(/^\S+ \S+ /, ''));
      });
      out.flush();
      process.exitCode = failed ? 1 : 0;
    });
}
