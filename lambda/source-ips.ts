import { BlockList, isIP } from 'node:net';
import { ConfigurationError } from './errors';

/** Which source addresses may call the webhook: listed addresses and CIDR ranges, IPv4 and IPv6. */
export interface SourceAllowList {
  /** The entries as given, trimmed, empty ones left out: what the construct passes to the function. */
  readonly entries: readonly string[];
  /**
   * Whether `ip` is a listed address or inside a listed range. An IPv4 client seen as IPv4-mapped
   * IPv6 (`::ffff:203.0.113.7`, as a dual-stack socket reports it) matches its IPv4 entries.
   * Blank or malformed input never matches.
   */
  has(ip: string): boolean;
}

/**
 * Parses an allow-list of addresses and CIDR ranges: `203.0.113.7`, `203.0.113.0/24`,
 * `2001:db8::1`, `2001:db8::/32`. Entries are trimmed; empty ones (`a,,b`, a trailing comma) are
 * ignored, so no entries at all is a list that matches nothing: callers decide what that means.
 * `setting` names where the list came from (`ALLOWED_SOURCE_IPS`, `allowedSourceIps`) in errors.
 * @throws ConfigurationError naming the first entry that is not an address or range, or whose
 *   prefix length is out of range (0 to 32 for IPv4, 0 to 128 for IPv6)
 */
export function parseSourceAllowList(entries: readonly string[], setting: string): SourceAllowList {
  const rules = new BlockList();
  const kept: string[] = [];
  for (const entry of entries.map((e) => e.trim()).filter(Boolean)) {
    const [address, prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const fail = (problem: string) => new ConfigurationError('environment', `${setting}: ${JSON.stringify(entry)} ${problem}`);
    if (family === 0 || rest.length > 0 || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) {
      throw fail('is not an IP address or CIDR range (like 203.0.113.7 or 203.0.113.0/24)');
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const bits = family === 4 ? 32 : 128;
    if (prefix === undefined) {
      rules.addAddress(address, type);
    } else {
      const length = Number(prefix);
      if (length > bits) throw fail(`has a prefix length out of range: ${type === 'ipv4' ? 'IPv4' : 'IPv6'} takes /0 to /${bits}`);
      rules.addSubnet(address, length, type);
    }
    kept.push(entry);
  }
  return {
    entries: kept,
    // BlockList compares IPv4-mapped IPv6 addresses with IPv4 rules (and the reverse) by value,
    // whatever the spelling (`::ffff:7f00:1`, `0:0:0:0:0:ffff:127.0.0.1`).
    has: (ip) => {
      const family = isIP(ip);
      return family !== 0 && rules.check(ip, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
