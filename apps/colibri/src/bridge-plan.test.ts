import { describe, expect, it } from 'vitest';
import { planBridge } from './bridge-plan.js';

const base = {
  port: 9190,
  socketPath: '/var/db/colibri/colibri.sock',
  force: false,
  localAddresses: ['100.64.0.1'],
};

describe('planBridge', () => {
  it('binds exactly the given address and forwards to the socket', () => {
    const plan = planBridge({ ...base, address: '100.64.0.1' });
    expect(plan.socatArgs).toEqual([
      'TCP-LISTEN:9190,bind=100.64.0.1,reuseaddr,fork',
      'UNIX-CONNECT:/var/db/colibri/colibri.sock',
    ]);
    expect(plan.rcConf).toContain('colibri_bridge_address="100.64.0.1"');
    expect(plan.systemdEnv).toEqual(['COLIBRI_BRIDGE_ADDRESS=100.64.0.1', 'COLIBRI_BRIDGE_PORT=9190']);
    expect(plan.warnings).toEqual([]);
  });

  it('uses TCP6 for an IPv6 tailnet address', () => {
    const plan = planBridge({ ...base, address: 'fd7a:115c:a1e0::1', localAddresses: [] });
    expect(plan.socatArgs[0]).toBe('TCP6-LISTEN:9190,bind=[fd7a:115c:a1e0::1],reuseaddr,fork');
    expect(plan.warnings[0]).toMatch(/not an address of this host/);
  });

  it.each(['0.0.0.0', '::', '[::]'])('refuses %s unless forced', (address) => {
    expect(() => planBridge({ ...base, address })).toThrow(/every interface.*--force/);
    expect(planBridge({ ...base, address, force: true }).rcConf).toContain('colibri_bridge_force_any="YES"');
  });

  it.each(['tailnet-host', '', '100.64.0.1:9190', '100.64.0.256'])('refuses the non-IP %j', (address) => {
    expect(() => planBridge({ ...base, address })).toThrow(/must be an IP address/);
  });

  it.each([0, 65536, 1.5])('refuses port %d', (port) => {
    expect(() => planBridge({ ...base, address: '100.64.0.1', port })).toThrow(/--port must be 1–65535/);
  });

  it('refuses a socket path socat would misparse', () => {
    expect(() => planBridge({ ...base, address: '100.64.0.1', socketPath: '/tmp/a,b/colibri.sock' })).toThrow(
      /socat treats specially/,
    );
  });
});
