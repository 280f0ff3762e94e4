#!/usr/bin/env node
// Builds the libpcap addon (native/ -> native/build/Release/mcastpcap.node) with the node-gyp that ships with npm.
//
// As the package's `install` script it never fails the install: without libpcap headers or a compiler it prints
// one line and exits 0, and mcastkit's offline commands (replay, map, craft to a file) keep working; live commands
// then say what to install. `--required` (npm run build:native) or MCAST_NATIVE_REQUIRED=1 makes a failed build
// exit 1 with the build log. MCAST_SKIP_NATIVE=1 skips the build. MCAST_BUILD_VERBOSE=1 shows the log.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const required = process.argv.includes('--required') || process.env.MCAST_NATIVE_REQUIRED === '1';
const verbose = required || process.env.MCAST_BUILD_VERBOSE === '1';
const HINT = 'install libpcap-dev, make and a C compiler (apt-get install libpcap-dev build-essential), then run `npm rebuild mcastkit` (or `npm run build:native` in a checkout)';

if (process.env.MCAST_SKIP_NATIVE === '1') {
  console.log('mcastkit: MCAST_SKIP_NATIVE=1: libpcap addon not built; live capture and injection are disabled');
  process.exit(0);
}

// npm run-script exports the path of its bundled node-gyp; outside npm, look beside the node binary.
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && existsSync(c)) return [process.execPath, c];
  return ['node-gyp'];
}

const args = ['rebuild', '--directory', join(root, 'native')];
// Headers: a system Node (Debian, distros) ships them under <prefix>/include/node; use them instead of downloading.
const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}

const [cmd, ...pre] = findNodeGyp();
const r = spawnSync(cmd, [...pre, ...args], { cwd: root, encoding: 'utf8', stdio: verbose ? 'inherit' : 'pipe' });
const built = existsSync(join(root, 'native', 'build', 'Release', 'mcastpcap.node'));

if (r.status === 0 && built) {
  console.log('mcastkit: built the libpcap addon (native/build/Release/mcastpcap.node): live capture enabled');
  process.exit(0);
}

const why = r.error ? r.error.message : (`${r.stderr ?? ''}`.match(/pcap\.h: No such file|fatal error: [^\n]*/)?.[0] ?? `node-gyp exited with ${r.status}`);
if (required) {
  console.error(`mcastkit: building the libpcap addon failed (${why}): ${HINT}`);
  process.exit(1);
}
console.log(`mcastkit: live capture disabled, the libpcap addon did not build (${why}); offline commands work. To enable: ${HINT}`);
process.exit(0);
