// "Hosts" on one machine: each is a network namespace with one veth link into a shared switch
// namespace (a Linux bridge), like machines on one tailnet. Only addresses this lab creates are
// used, every namespace it makes is deleted on close (and stale ones from a crashed run of this
// lab are reaped at the next start).
import { type ChildProcess, execFile, type SpawnOptions, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Every namespace of every lab starts with this; the pid after it tells whether its owner lives. */
const LAB_PREFIX = 'colibri-lab-';

async function ip(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', [...args], { encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(`ip ${args.join(' ')} failed: ${detail}`);
  }
}

/** Fails with what to do when this machine cannot make namespaces (not root, no iproute2). */
export async function assertLabSupported(): Promise<void> {
  if (process.geteuid?.() !== 0) {
    throw new Error('the cross-host tests need root (CAP_NET_ADMIN) to create network namespaces');
  }
  try {
    await run('ip', ['-V']);
  } catch {
    throw new Error("iproute2's `ip` is missing: run 'sh scripts/setup.sh --with-test-tools'");
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes namespaces left by labs whose process died (a kill -9 skips `close`). */
async function reapStaleNamespaces(): Promise<void> {
  const listing = await ip(['netns', 'list']);
  for (const line of listing.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (!name.startsWith(LAB_PREFIX)) continue;
    const pid = Number(name.slice(LAB_PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) {
      await ip(['netns', 'delete', name]).catch(() => undefined);
    }
  }
}

export interface LabHost {
  /** Short name, e.g. `hub`. */
  readonly name: string;
  /** The namespace's name. */
  readonly namespace: string;
  /** Its address on the lab's "tailnet". */
  readonly address: string;
  /** Runs a command inside the namespace and resolves with its output (rejects on non-zero exit). */
  exec(
    file: string,
    args: readonly string[],
    options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<{ stdout: string; stderr: string }>;
  /** Starts a long-running process inside the namespace. */
  spawn(file: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Takes this host's link to the switch down (the cable is pulled) or up again. */
  setLink(up: boolean): Promise<void>;
  /** Adds another address (CIDR) to its link, e.g. a LAN address beside the tailnet one. */
  addAddress(cidr: string): Promise<void>;
}

export interface NetworkLab {
  readonly hosts: ReadonlyMap<string, LabHost>;
  host(name: string): LabHost;
  /** Adds a host on the lab network (10.77.0.0/24 by default) with the given last octet. */
  addHost(name: string, octet: number, network?: string): Promise<LabHost>;
  /** Deletes every namespace this lab made. Safe to call twice. */
  close(): Promise<void>;
}

/** Makes an empty lab: a switch namespace with a bridge. Add hosts with `addHost`. */
export async function createNetworkLab(label: string): Promise<NetworkLab> {
  await assertLabSupported();
  await reapStaleNamespaces();
  const base = `${LAB_PREFIX}${process.pid}-${label}`;
  const made: string[] = [];
  const hosts = new Map<string, LabHost>();
  const switchNs = `${base}-sw`;
  let closed = false;

  const close = async () => {
    if (closed) return;
    closed = true;
    for (const namespace of made.reverse()) {
      // Deleting the namespace also destroys the veth ends inside it and kills nothing else:
      // processes started in it must be stopped by their owners first.
      await ip(['netns', 'delete', namespace]).catch(() => undefined);
    }
  };

  try {
    await ip(['netns', 'add', switchNs]);
    made.push(switchNs);
    await ip(['-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', switchNs, 'link', 'set', 'br0', 'up']);
    await ip(['-n', switchNs, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await close();
    throw error;
  }

  const addHost = async (name: string, octet: number, network = '10.77.0'): Promise<LabHost> => {
    if (!/^[a-z][a-z0-9]{0,7}$/.test(name)) throw new Error(`lab host name ${name}: use [a-z][a-z0-9]{0,7}`);
    const namespace = `${base}-${name}`;
    const index = hosts.size;
    const inside = 'eth0';
    const outside = `v${process.pid % 10000}${index}${name}`.slice(0, 15);
    await ip(['netns', 'add', namespace]);
    made.push(namespace);
    await ip(['link', 'add', outside, 'type', 'veth', 'peer', 'name', `${outside}p`]);
    await ip(['link', 'set', `${outside}p`, 'netns', namespace]);
    await ip(['-n', namespace, 'link', 'set', `${outside}p`, 'name', inside]);
    await ip(['link', 'set', outside, 'netns', switchNs]);
    await ip(['-n', switchNs, 'link', 'set', outside, 'master', 'br0']);
    await ip(['-n', switchNs, 'link', 'set', outside, 'up']);
    const address = `${network}.${octet}`;
    await ip(['-n', namespace, 'addr', 'add', `${address}/24`, 'dev', inside]);
    await ip(['-n', namespace, 'link', 'set', inside, 'up']);
    await ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
    const host: LabHost = {
      name,
      namespace,
      address,
      async exec(file, args, options = {}) {
        const { stdout, stderr } = await run('ip', ['netns', 'exec', namespace, file, ...args], {
          encoding: 'utf8',
          env: options.env ?? process.env,
          timeout: options.timeoutMs ?? 60_000,
        });
        return { stdout, stderr };
      },
      spawn(file, args, options = {}) {
        return spawn('ip', ['netns', 'exec', namespace, file, ...args], options);
      },
      async setLink(up) {
        await ip(['-n', switchNs, 'link', 'set', outside, up ? 'up' : 'down']);
      },
      async addAddress(cidr) {
        await ip(['-n', namespace, 'addr', 'add', cidr, 'dev', inside]);
      },
    };
    hosts.set(name, host);
    return host;
  };

  return {
    hosts,
    host(name) {
      const host = hosts.get(name);
      if (host === undefined) throw new Error(`no lab host ${name}`);
      return host;
    },
    addHost,
    close,
  };
}
