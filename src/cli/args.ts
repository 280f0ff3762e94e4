/** Argument parsers shared by the subcommands: each turns text into a value or throws a one-line UsageError. */
import { UsageError } from '../errors.js';
import { parseIpv4 } from '../wire/addr.js';

export function ipv4Arg(what: string) {
  return (text: string): number => {
    const v = parseIpv4(text);
    if (v === null) throw new UsageError(`${what}: not an IPv4 address: ${JSON.stringify(text)}`);
    return v;
  };
}

export function groupArg(what: string) {
  return (text: string): number => {
    const v = ipv4Arg(what)(text);
    if (v >>> 28 !== 0xe) throw new UsageError(`${what}: ${text} is not a multicast group (224.0.0.0/4)`);
    return v;
  };
}

export function intArg(what: string, min: number, max: number) {
  return (text: string): number => {
    if (!/^\d+$/.test(text)) throw new UsageError(`${what}: not a whole number: ${JSON.stringify(text)}`);
    const v = Number(text);
    if (v < min || v > max) throw new UsageError(`${what}: ${v} is out of range ${min}-${max}`);
    return v;
  };
}

export function numberArg(what: string, min: number, max: number) {
  return (text: string): number => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${what}: not a number: ${JSON.stringify(text)}`);
    if (v < min || v > max) throw new UsageError(`${what}: ${v} is out of range ${min}-${max}`);
    return v;
  };
}
