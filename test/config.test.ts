import { readAllowedSourceIps, readConfig } from '../lambda/config';
import { ConfigurationError } from '../lambda/errors';

const BASE_ENV = { CALLS_TABLE_NAME: 'calls', CALLS_BUCKET_NAME: 'bucket', WEBHOOK_SECRET: 'wsec_test' };

describe('readConfig: ALLOWED_SOURCE_IPS', () => {
  it('accepts CIDR ranges, so a local 127.0.0.0/8 lets the loopback client through in either form', () => {
    const { allowedSourceIps } = readConfig({ ...BASE_ENV, ALLOWED_SOURCE_IPS: '127.0.0.0/8, 2001:db8::/32' });
    expect(allowedSourceIps?.has('127.0.0.1')).toBe(true);
    expect(allowedSourceIps?.has('::ffff:127.0.0.1')).toBe(true);
    expect(allowedSourceIps?.has('2001:db8::7')).toBe(true);
    expect(allowedSourceIps?.has('203.0.113.7')).toBe(false);
  });

  it('throws a ConfigurationError naming the bad entry, rather than refusing every request', () => {
    expect(() => readConfig({ ...BASE_ENV, ALLOWED_SOURCE_IPS: '127.0.0.1,notanip' })).toThrow(ConfigurationError);
    expect(() => readConfig({ ...BASE_ENV, ALLOWED_SOURCE_IPS: '127.0.0.1,notanip' })).toThrow('ALLOWED_SOURCE_IPS: "notanip" is not an IP address or CIDR range');
    expect(() => readConfig({ ...BASE_ENV, ALLOWED_SOURCE_IPS: '10.0.0.0/40' })).toThrow('ALLOWED_SOURCE_IPS: "10.0.0.0/40" has a prefix length out of range');
  });

  it('means no allow-list when unset, empty or only commas and spaces', () => {
    for (const value of [undefined, '', ' ', ',', ' , ,']) {
      expect(readConfig({ ...BASE_ENV, ALLOWED_SOURCE_IPS: value }).allowedSourceIps).toBeUndefined();
    }
  });
});

describe('readAllowedSourceIps', () => {
  it('checks the list alone, before the rest of the environment exists (as npm start can)', () => {
    expect(() => readAllowedSourceIps({ ALLOWED_SOURCE_IPS: 'notanip' })).toThrow('ALLOWED_SOURCE_IPS: "notanip"');
    expect(readAllowedSourceIps({ ALLOWED_SOURCE_IPS: '203.0.113.0/24' })?.entries).toEqual(['203.0.113.0/24']);
  });
});
