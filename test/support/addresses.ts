import { execFileSync } from 'child_process';
import { networkInterfaces } from 'os';

/** The address given to a dummy interface when the machine has no other: traffic to it never leaves the machine. */
const DUMMY = { name: 'portico-test0', address: '10.200.0.1' };

const interfaceAddress = (): string | undefined =>
  Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

/**
 * An IPv4 address of this machine that is not loopback, for a connection that must come from elsewhere (as
 * `localAddress`) or reach the machine other than through loopback. An interface's own address when there is one;
 * else, as root on Linux, a dummy interface with 10.200.0.1/32 (left in place: other suites may be using it);
 * else none, with the reason, so that a test can say it did not run.
 */
export function nonLoopbackAddress(): { address: string; reason?: undefined } | { address?: undefined; reason: string } {
  const found = interfaceAddress();
  if (found) return { address: found };
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return { reason: 'this machine has no non-loopback address, and only root on Linux can add one' };
  // Each step may fail because another suite took it first; what counts is whether the address is there after.
  for (const args of [['link', 'add', DUMMY.name, 'type', 'dummy'], ['addr', 'add', `${DUMMY.address}/32`, 'dev', DUMMY.name], ['link', 'set', DUMMY.name, 'up']]) {
    try {
      execFileSync('ip', args, { stdio: 'ignore' });
    } catch {
      // checked below
    }
  }
  return interfaceAddress() === DUMMY.address ? { address: DUMMY.address } : { reason: `this machine has no non-loopback address, and adding ${DUMMY.address} on a dummy interface (ip link add … type dummy) failed` };
}
