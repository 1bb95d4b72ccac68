import { readFileSync } from 'fs';
import { freePort } from '../../scripts/demo-run';

describe('freePort', () => {
  it('picks a port below the ephemeral range, which an outgoing connection can never take before the listen', async () => {
    const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralLow);
    }
  });

});
