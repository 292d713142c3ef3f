import { describe, expect, it } from '@jest/globals';
import { cgroup2Mounts, isSafeCgroupPath } from '../../src/sandbox/cgroup2.js';
import { iptablesDroppedCount, iptablesRestoreInput, nftDroppedCount, nftRuleset } from '../../src/sandbox/firewallRules.js';
import { type FirewallInstallation, parseFirewallInstallation } from '../../src/sandbox/firewallState.js';

/**
 * The rule text and the state the post step reads back. The rules' effect is proven against the kernel in
 * test/integration/egressFirewall.test.ts; here, what a forged GITHUB_STATE line could make removal touch.
 */
const ENDPOINTS = [
  { address: '10.1.2.3', family: 4 as const, port: 8080 },
  { address: '2001:db8::7', family: 6 as const }
];

describe('rule text', () => {
  it('nft: jumps for the cgroup at level 1, accepts loopback and each endpoint, counts and drops the rest', () => {
    const rules = nftRuleset('0123abcd', ENDPOINTS);
    expect(rules).toContain('table inet aqe_egress_0123abcd {');
    expect(rules).toContain('socket cgroupv2 level 1 "aqe-egress-0123abcd" jump confined');
    expect(rules).toContain('oifname "lo" accept');
    expect(rules).toContain('ip daddr 10.1.2.3 meta l4proto { tcp, udp } th dport 8080 accept');
    expect(rules).toContain('ip6 daddr 2001:db8::7 accept');
    // The drop comes after every accept: the order is the policy.
    expect(rules.indexOf('counter name "dropped" drop')).toBeGreaterThan(rules.indexOf('ip6 daddr'));
  });

  it('iptables: one family per input, the jump inserted first in OUTPUT', () => {
    const v4 = iptablesRestoreInput('0123abcd', 4, ENDPOINTS);
    expect(v4.split('\n')).toEqual([
      '*filter',
      ':AQE-EGRESS-0123abcd - [0:0]',
      '-A AQE-EGRESS-0123abcd -o lo -j ACCEPT',
      '-A AQE-EGRESS-0123abcd -d 10.1.2.3/32 -p tcp -m tcp --dport 8080 -j ACCEPT',
      '-A AQE-EGRESS-0123abcd -d 10.1.2.3/32 -p udp -m udp --dport 8080 -j ACCEPT',
      '-A AQE-EGRESS-0123abcd -j DROP',
      '-I OUTPUT 1 -m cgroup --path aqe-egress-0123abcd -j AQE-EGRESS-0123abcd',
      'COMMIT',
      ''
    ]);
    expect(iptablesRestoreInput('0123abcd', 6, ENDPOINTS)).toContain('-A AQE-EGRESS-0123abcd -d 2001:db8::7/128 -j ACCEPT');
  });

  it('refuses an address or port that is not one, so nothing else reaches the rule text', () => {
    expect(() => nftRuleset('0123abcd', [{ address: '1.2.3.4 accept; drop', family: 4 }])).toThrow(/not an IPv4 address/);
    expect(() => iptablesRestoreInput('0123abcd', 4, [{ address: '1.2.3.4', family: 4, port: 70000 }])).toThrow(/not a port/);
  });

  it('reads the drop counters', () => {
    const listing = [
      'Chain AQE-EGRESS-0123abcd (1 references)',
      '    pkts      bytes target     prot opt in     out     source               destination',
      '      12      720 ACCEPT     0    --  *      lo      0.0.0.0/0            0.0.0.0/0',
      '       7      420 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0'
    ].join('\n');
    expect(iptablesDroppedCount(listing)).toBe(7);
    expect(iptablesDroppedCount('Chain X (0 references)\n')).toBeUndefined();
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { counter: { family: 'inet', name: 'dropped', table: 'aqe_egress_0123abcd', handle: 1, packets: 5, bytes: 300 } }
      ]
    });
    expect(nftDroppedCount(json)).toBe(5);
    expect(nftDroppedCount('not json')).toBeUndefined();
  });
});

describe('cgroup2 mounts', () => {
  it('finds cgroup2 in a hybrid hierarchy beside the v1 controllers, and read-only mounts', () => {
    const mountinfo = [
      '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
      '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw',
      '50 23 0:40 / /mnt/with\\040space ro,relatime - cgroup2 cgroup2 ro'
    ].join('\n');
    expect(cgroup2Mounts(mountinfo)).toEqual([
      { mountPoint: '/sys/fs/cgroup/unified', readOnly: false },
      { mountPoint: '/mnt/with space', readOnly: true }
    ]);
  });

  it('accepts only cgroup paths that stay inside the hierarchy', () => {
    for (const ok of ['/', '/system.slice/runner.service', '/user.slice/user-1001.slice/session-1.scope']) expect(isSafeCgroupPath(ok)).toBe(true);
    for (const bad of ['', 'relative', '/a/../..', '/..', '/a/./b', '/a//b', '/a/', '/a\nb']) expect(isSafeCgroupPath(bad)).toBe(false);
  });
});

describe('parseFirewallInstallation', () => {
  const MOUNTS = ['/sys/fs/cgroup/unified'];
  const valid: FirewallInstallation = {
    id: '0123abcd',
    tool: 'iptables',
    sudo: true,
    cgroup: '/sys/fs/cgroup/unified/aqe-egress-0123abcd',
    originalCgroup: '/system.slice/runner.service',
    rules: '*filter\nCOMMIT\n'
  };
  const forged = (patch: Record<string, unknown>): string => JSON.stringify({ ...valid, ...patch });

  it('reads back what the main step wrote', () => {
    expect(parseFirewallInstallation(JSON.stringify(valid), MOUNTS)).toEqual(valid);
    const nft = { ...valid, tool: 'nft', cgroup: '/sys/fs/cgroup/aqe-egress-0123abcd' };
    expect(parseFirewallInstallation(JSON.stringify(nft), ['/sys/fs/cgroup'])).toEqual(nft);
  });

  it.each([
    ['a cgroup that climbs out of the hierarchy', { cgroup: '/sys/fs/cgroup/unified/../../../etc' }],
    ['a cgroup of another name', { cgroup: '/sys/fs/cgroup/unified/system.slice' }],
    ['a cgroup of another id', { cgroup: '/sys/fs/cgroup/unified/aqe-egress-ffffffff' }],
    ['a cgroup below ours', { cgroup: '/sys/fs/cgroup/unified/aqe-egress-0123abcd/x' }],
    ['a cgroup outside every cgroup2 mount', { cgroup: '/tmp/aqe-egress-0123abcd' }],
    ['an nft cgroup away from /sys/fs/cgroup', { tool: 'nft' }],
    ['an id that is not hex', { id: '../x', cgroup: '/sys/fs/cgroup/unified/aqe-egress-../x' }],
    ['an upper-case id', { id: '0123ABCD', cgroup: '/sys/fs/cgroup/unified/aqe-egress-0123ABCD' }],
    ['an id too long for a chain name', { id: '0123456789abcdef0', cgroup: '/sys/fs/cgroup/unified/aqe-egress-0123456789abcdef0' }],
    ['another tool', { tool: 'bash' }],
    ['sudo as a string', { sudo: 'true' }],
    ['an original cgroup that climbs out', { originalCgroup: '/../../etc' }],
    ['an original cgroup that is ours', { originalCgroup: '/aqe-egress-0123abcd' }],
    ['rules that are not text', { rules: ['-F'] }],
    ['an extra field', { command: 'rm -rf /' }]
  ])('refuses %s', (_what, patch) => {
    expect(parseFirewallInstallation(forged(patch), MOUNTS)).toBeUndefined();
  });

  it('refuses a missing field, and text that is not one JSON object', () => {
    const { rules: _rules, ...rest } = valid;
    expect(parseFirewallInstallation(JSON.stringify(rest), MOUNTS)).toBeUndefined();
    for (const text of ['', 'null', '[]', '"x"', `${JSON.stringify(valid)}x`]) expect(parseFirewallInstallation(text, MOUNTS)).toBeUndefined();
  });
});
