// The bridge between "hosts": colibrid on its Unix socket in a hub namespace, the socat bridge on
// the hub's tailnet address only, the CLI in other namespaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliResult,
  colibriIn,
  type LabDaemon,
  type LabProcess,
  startLabBridge,
  startLabDaemon,
} from './lab-processes.js';
import { createNetworkLab, type LabHost, type NetworkLab } from './network-lab.js';

const PORT = 9190;

describe('the socat bridge between network namespaces', () => {
  let lab: NetworkLab;
  let hub: LabHost;
  let laptop: LabHost;
  let outsider: LabHost;
  let daemon: LabDaemon;
  let bridge: LabProcess;
  let url: string;

  beforeAll(async () => {
    lab = await createNetworkLab('bridge');
    hub = await lab.addHost('hub', 1);
    laptop = await lab.addHost('laptop', 11);
    // Another network on the same wire: the hub has a LAN address there, the outsider lives there.
    outsider = await lab.addHost('outsider', 2, '10.78.0');
    await hub.addAddress('10.78.0.1/24');
    daemon = await startLabDaemon(hub);
    bridge = await startLabBridge(hub, daemon, PORT);
    url = `http://${hub.address}:${PORT}`;
  });

  afterAll(async () => {
    await bridge?.stop();
    await daemon?.stop();
    daemon?.cleanup();
    await lab?.close();
  });

  const json = (result: CliResult) => {
    expect(result.stderr, result.stdout).toBe('');
    expect(result.status).toBe(0);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };

  it('an operator on another host reaches the daemon through the bridge', async () => {
    const status = json(
      await colibriIn(laptop, ['status', '--url', url, '--json'], { COLIBRI_TOKEN: daemon.operatorToken }),
    );
    expect(status.driver).toBe('sqlite');
  });

  it('without a token, or with a wrong one, the bridge gives nothing', async () => {
    const none = await colibriIn(laptop, ['list-agents', '--url', url, '--json']);
    expect(none.status).toBe(77);
    expect(none.stdout).toContain('COLIBRI_UNAUTHENTICATED');
    const wrong = await colibriIn(laptop, ['list-agents', '--url', url, '--json'], {
      COLIBRI_TOKEN: 'not-a-token',
    });
    expect(wrong.status).toBe(77);
    expect(wrong.stdout).not.toContain('"agents"');
  });

  it('an agent registered through the bridge acts only with its own token', async () => {
    const registered = json(
      await colibriIn(
        laptop,
        [
          'register-agent',
          '--url',
          url,
          '--name',
          'laptop-agent',
          '--capabilities',
          'linux,docker',
          '--json',
        ],
        { COLIBRI_TOKEN: daemon.operatorToken },
      ),
    ) as { agent: { id: string }; token: string };
    const intake = json(
      await colibriIn(
        laptop,
        [
          'intake-task',
          '--url',
          url,
          '--title',
          'build an image',
          '--capabilities',
          'docker',
          '--payload',
          '{"n":1}',
          '--json',
        ],
        {
          COLIBRI_TOKEN: daemon.operatorToken,
        },
      ),
    ) as { task: { id: string; status: string; assignedAgentId: string | null } };
    expect(intake.task.assignedAgentId).toBe(registered.agent.id);
    const polled = json(
      await colibriIn(laptop, ['poll', '--agent', registered.agent.id, '--url', url, '--json'], {
        COLIBRI_TOKEN: registered.token,
      }),
    ) as { tasks: Array<{ id: string }> };
    expect(polled.tasks.map((task) => task.id)).toEqual([intake.task.id]);
    // The agent's token does not make it the operator.
    const agents = await colibriIn(laptop, ['list-agents', '--url', url, '--json'], {
      COLIBRI_TOKEN: registered.token,
    });
    expect(agents.status).toBe(77);
    expect(agents.stdout).toContain('COLIBRI_FORBIDDEN');
  });

  it('is not reachable on any other address of the hub', async () => {
    // The hub's LAN address, from a host on that LAN.
    const lan = await colibriIn(outsider, ['status', '--url', `http://10.78.0.1:${PORT}`, '--json'], {
      COLIBRI_TOKEN: daemon.operatorToken,
    });
    expect(lan.status).toBe(5);
    expect(lan.stdout).toContain('COLIBRI_DAEMON_UNREACHABLE');
    // The hub's own loopback.
    const loopback = await colibriIn(hub, ['status', '--url', `http://127.0.0.1:${PORT}`, '--json'], {
      COLIBRI_TOKEN: daemon.operatorToken,
    });
    expect(loopback.status).toBe(5);
    // And the listening sockets of the hub: exactly one, on the tailnet address.
    const { stdout } = await hub.exec('ss', ['-Htln']);
    const listeners = stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => line.trim().split(/\s+/)[3]);
    expect(listeners).toEqual([`${hub.address}:${PORT}`]);
  });
});
