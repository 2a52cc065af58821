import { ElevenLabsEgress } from '../lib/elevenlabs-egress';
import { ConfigurationError } from '../lambda/errors';
import { parseSourceAllowList } from '../lambda/source-ips';

const allowList = (...entries: string[]) => parseSourceAllowList(entries, 'ALLOWED_SOURCE_IPS');

/** The error `parseSourceAllowList` throws for `entries`, checked to be a ConfigurationError. */
function errorFor(...entries: string[]): ConfigurationError {
  try {
    allowList(...entries);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error(`expected ${JSON.stringify(entries)} to be refused`);
}

describe('parseSourceAllowList', () => {
  it('matches every address of an IPv4 CIDR range, and a single address exactly', () => {
    const list = allowList('127.0.0.0/8', '203.0.113.0/24', '198.51.100.7');
    for (const ip of ['127.0.0.1', '127.255.255.254', '203.0.113.0', '203.0.113.255', '198.51.100.7']) expect(list.has(ip)).toBe(true);
    for (const ip of ['128.0.0.1', '203.0.114.1', '10.0.0.1', '198.51.100.8']) expect(list.has(ip)).toBe(false);
  });

  it('matches IPv6 addresses and ranges, whatever their spelling', () => {
    const list = allowList('2001:db8::/32', '::1');
    expect(list.has('2001:db8:1234::5')).toBe(true);
    expect(list.has('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe(true);
    expect(list.has('0:0:0:0:0:0:0:1')).toBe(true);
    expect(list.has('2001:db9::1')).toBe(false);
    expect(list.has('::2')).toBe(false);
  });

  it('matches an IPv4 client seen as IPv4-mapped IPv6 against IPv4 entries, in every spelling', () => {
    const list = allowList('127.0.0.0/8', '203.0.113.7');
    for (const ip of ['::ffff:127.0.0.1', '::FFFF:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:127.0.0.1', '::ffff:203.0.113.7']) {
      expect(list.has(ip)).toBe(true);
    }
    expect(list.has('::ffff:203.0.113.8')).toBe(false);
    expect(list.has('::ffff:10.0.0.1')).toBe(false);
  });

  it('matches an IPv4 client against an entry written as IPv4-mapped IPv6', () => {
    expect(allowList('::ffff:203.0.113.7').has('203.0.113.7')).toBe(true);
  });

  it('matches any address under 0.0.0.0/0 and ::/0, but never a blank or malformed one', () => {
    const list = allowList('0.0.0.0/0', '::/0');
    for (const ip of ['198.51.100.7', '2001:db8::1', '::ffff:198.51.100.7']) expect(list.has(ip)).toBe(true);
    for (const ip of ['', ' ', 'unknown', '127.0.0.1 ', '127.0.0.0/8']) expect(list.has(ip)).toBe(false);
  });

  it('trims entries and ignores empty ones, keeping the rest as given; none at all matches nothing', () => {
    const list = allowList(' 203.0.113.7 ', '', '  ', ' 2001:db8::/32');
    expect(list.entries).toEqual(['203.0.113.7', '2001:db8::/32']);
    expect(list.has('203.0.113.7')).toBe(true);
    expect(list.has('2001:db8::1')).toBe(true);
    const none = allowList('', ' ');
    expect(none.entries).toEqual([]);
    expect(none.has('203.0.113.7')).toBe(false);
  });

  it('refuses an entry that is not an address or range, naming it and the setting', () => {
    for (const entry of ['notanip', 'elevenlabs', '203.0.113', '203.0.113.256', '203.0.113.07x', '2001:db8:::1', '203.0.113.0/', '203.0.113.0/abc', '203.0.113.0/-1', '203.0.113.0/24/8', '/24']) {
      const error = errorFor('203.0.113.7', ` ${entry} `);
      expect(error.message).toBe(`ALLOWED_SOURCE_IPS: "${entry}" is not an IP address or CIDR range (like 203.0.113.7 or 203.0.113.0/24)`);
      expect(error.reason).toBe('environment');
    }
  });

  it('refuses a prefix length out of range for the address family, naming the entry', () => {
    expect(errorFor('203.0.113.0/33').message).toBe('ALLOWED_SOURCE_IPS: "203.0.113.0/33" has a prefix length out of range: IPv4 takes /0 to /32');
    expect(errorFor('2001:db8::/129').message).toBe('ALLOWED_SOURCE_IPS: "2001:db8::/129" has a prefix length out of range: IPv6 takes /0 to /128');
    expect(errorFor('2001:db8::/1000').message).toMatch(/"2001:db8::\/1000" is not an IP address or CIDR range/);
  });

  it('treats /32 and /128 as the single address', () => {
    const list = allowList('203.0.113.7/32', '2001:db8::1/128');
    expect(list.has('203.0.113.7')).toBe(true);
    expect(list.has('2001:db8::1')).toBe(true);
    expect(list.has('203.0.113.8')).toBe(false);
    expect(list.has('2001:db8::2')).toBe(false);
  });

  it('names the setting it was given', () => {
    expect(() => parseSourceAllowList(['notanip'], 'allowedSourceIps')).toThrow('allowedSourceIps: "notanip" is not an IP address or CIDR range');
  });
});

describe('ElevenLabsEgress.expandKeyword', () => {
  it('replaces the word with the default-region addresses and keeps the other entries', () => {
    expect(ElevenLabsEgress.expandKeyword(['elevenlabs'])).toEqual(ElevenLabsEgress.defaultRegions);
    expect(ElevenLabsEgress.expandKeyword([' ElevenLabs ', '203.0.113.0/24'])).toEqual([...ElevenLabsEgress.defaultRegions, '203.0.113.0/24']);
    expect(ElevenLabsEgress.expandKeyword(['203.0.113.7'])).toEqual(['203.0.113.7']);
  });

  it('gives addresses the parser accepts', () => {
    expect(parseSourceAllowList(ElevenLabsEgress.expandKeyword(['elevenlabs']), 'allowedSourceIps').has(ElevenLabsEgress.defaultRegions[0])).toBe(true);
  });
});

describe('ElevenLabsEgress', () => {
  it('hands out a new list each time, so one caller changing it changes nothing for another', () => {
    const mine = ElevenLabsEgress.defaultRegions;
    mine.push('203.0.113.7');
    expect(ElevenLabsEgress.defaultRegions).toEqual([...ElevenLabsEgress.us, ...ElevenLabsEgress.eu, ...ElevenLabsEgress.asia]);
    expect(ElevenLabsEgress.defaultRegions).not.toContain('203.0.113.7');
  });
});
