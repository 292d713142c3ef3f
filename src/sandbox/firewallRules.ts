import { isIP } from 'node:net';
import { firewallCgroupName } from './cgroup2.js';

/**
 * The packet-filter rules for one run's cgroup, as text the tools load in one transaction. Both say the
 * same: what a socket of the cgroup (or of a cgroup below it) sends out through loopback or to an allowed
 * endpoint passes, everything else is counted and dropped. Sockets of other processes (the runner's
 * listener and worker) never match.
 */
export interface ResolvedEndpoint {
  address: string;
  family: 4 | 6;
  /** Every port when absent; TCP and UDP alike. */
  port?: number;
}

export type IpFamily = 4 | 6;

export function nftTableName(id: string): string {
  return `aqe_egress_${id}`;
}

export function iptablesChainName(id: string): string {
  return `AQE-EGRESS-${id}`;
}

/** Guards the rule text: only what net.isIP accepts and a port in range reaches a rule. */
function checked(endpoint: ResolvedEndpoint): ResolvedEndpoint {
  if (isIP(endpoint.address) !== endpoint.family) throw new Error(`not an IPv${endpoint.family} address: ${JSON.stringify(endpoint.address)}`);
  if (endpoint.port !== undefined && !(Number.isInteger(endpoint.port) && endpoint.port >= 1 && endpoint.port <= 65535)) {
    throw new Error(`not a port: ${JSON.stringify(endpoint.port)}`);
  }
  return endpoint;
}

/** nft resolves the cgroup path under /sys/fs/cgroup when it loads the rules; level 1 is a child of the root. */
export function nftRuleset(id: string, endpoints: readonly ResolvedEndpoint[]): string {
  const allow = endpoints.map(checked).map((e) => {
    const match = `${e.family === 4 ? 'ip' : 'ip6'} daddr ${e.address}`;
    return `\t\t${match}${e.port === undefined ? '' : ` meta l4proto { tcp, udp } th dport ${e.port}`} accept`;
  });
  return [
    `table inet ${nftTableName(id)} {`,
    '\tcounter dropped {',
    '\t}',
    '\tchain output {',
    '\t\ttype filter hook output priority filter; policy accept;',
    `\t\tsocket cgroupv2 level 1 "${firewallCgroupName(id)}" jump confined`,
    '\t}',
    '\tchain confined {',
    '\t\toifname "lo" accept',
    ...allow,
    '\t\tcounter name "dropped" drop',
    '\t}',
    '}',
    ''
  ].join('\n');
}

/**
 * iptables-restore --noflush input for one family. The jump goes first in OUTPUT, ahead of any ACCEPT
 * already there (an ACCEPT ends the chain, so a later jump would never be reached). xt_cgroup resolves
 * the path in the kernel, relative to the cgroup v2 root, wherever that is mounted.
 */
export function iptablesRestoreInput(id: string, family: IpFamily, endpoints: readonly ResolvedEndpoint[]): string {
  const chain = iptablesChainName(id);
  const hostBits = family === 4 ? 32 : 128;
  const allow = endpoints
    .map(checked)
    .filter((e) => e.family === family)
    .flatMap((e) =>
      e.port === undefined
        ? [`-A ${chain} -d ${e.address}/${hostBits} -j ACCEPT`]
        : ['tcp', 'udp'].map((p) => `-A ${chain} -d ${e.address}/${hostBits} -p ${p} -m ${p} --dport ${e.port} -j ACCEPT`)
    );
  return [
    '*filter',
    `:${chain} - [0:0]`,
    `-A ${chain} -o lo -j ACCEPT`,
    ...allow,
    `-A ${chain} -j DROP`,
    `-I OUTPUT 1 -m cgroup --path ${firewallCgroupName(id)} -j ${chain}`,
    'COMMIT',
    ''
  ].join('\n');
}

/** The DROP rule's packet count in `iptables -L <chain> -n -v -x` output. */
export function iptablesDroppedCount(listing: string): number | undefined {
  const line = listing
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[2] === 'DROP');
  return line && /^\d+$/.test(line[0] ?? '') ? Number(line[0]) : undefined;
}

/** The named counter's packets in `nft -j list counter inet <table> dropped` output. */
export function nftDroppedCount(json: string): number | undefined {
  try {
    const parsed = JSON.parse(json) as { nftables?: Array<{ counter?: { name?: string; packets?: unknown } }> };
    const counter = parsed.nftables?.find((o) => o.counter?.name === 'dropped')?.counter;
    return typeof counter?.packets === 'number' ? counter.packets : undefined;
  } catch {
    return undefined;
  }
}
