/**
 * SSH access to lab nodes: one user key for the lab, an ed25519 host key per node, a real
 * /usr/sbin/sshd per node listening on the node address only (in its own UTS namespace so
 * `hostname` says node-N), plus the inventory and known_hosts a runner needs.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { LabNode, LabState } from './model.js';
import { processLogDir, sleep, spawnInNetns } from './processes.js';
import { parallel, run } from './sh.js';

function nodeDir(state: LabState, node: LabNode): string {
  return join(state.dir, 'nodes', node.name);
}

/** The node's own /run/flannel (bind-mounted for its sshd; flannel.ts writes subnet.env there). */
export async function nodeRunFlannelDir(state: LabState, node: LabNode): Promise<string> {
  const dir = join(nodeDir(state, node), 'run-flannel');
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Generates the lab user key and every node's host key; fills node.hostKey. */
export async function generateKeys(state: LabState): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `netdiag-lab-${state.name}`, '-f', state.files.sshKey]);
  await writeFile(join(state.dir, 'authorized_keys'), await readFile(`${state.files.sshKey}.pub`, 'utf8'), { mode: 0o600 });
  await parallel(state.nodes, 8, async (node) => {
    const dir = nodeDir(state, node);
    await mkdir(dir, { recursive: true });
    const key = join(dir, 'ssh_host_ed25519_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${node.name}`, '-f', key]);
    const [type, body] = (await readFile(`${key}.pub`, 'utf8')).trim().split(/\s+/);
    node.hostKey = `${type} ${body}`;
  });
}

/** The node's root home (bind-mounted over /root in its sshd's mount namespace). */
async function nodeHomeDir(state: LabState, node: LabNode): Promise<string> {
  const dir = join(nodeDir(state, node), 'root-home');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** sshd_config of one node: key-only root login, its own pid file, listening on eth0 only. */
function sshdConfig(state: LabState, node: LabNode): string {
  const dir = nodeDir(state, node);
  return [
    `ListenAddress ${node.address}`,
    'Port 22',
    `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(state.dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The key files live in the lab folder, not in ~root/.ssh.
    'StrictModes no',
    'UseDNS no',
    'MaxSessions 16',
    'MaxStartups 200:30:400',
    'LogLevel ERROR',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/** Starts sshd on every node (recorded in state.processes and node.sshdPid). */
export async function startSshds(state: LabState): Promise<void> {
  // sshd refuses to start without its privilege-separation directory.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const logDir = await processLogDir(state.dir);
  await parallel(state.nodes, 16, async (node) => {
    const conf = join(nodeDir(state, node), 'sshd_config');
    await writeFile(conf, sshdConfig(state, node));
    const proc = await spawnInNetns({
      netns: node.netns,
      argv: ['/usr/sbin/sshd', '-D', '-e', '-f', conf],
      role: `sshd ${node.name}`,
      logFile: join(logDir, `sshd-${node.name}.log`),
      hostname: node.name,
      binds: [
        // Its own (empty) root home: otherwise every SSH session's bash sources THIS machine's
        // /root/.bashrc (Debian's bash does for sshd sessions), e.g. `pyenv init`, which costs
        // seconds per session under load and serialises on pyenv's lock. Real nodes do not
        // carry the test machine's dotfiles (measured: bench/RESULTS.md).
        { source: await nodeHomeDir(state, node), target: '/root' },
        // What flanneld writes on a real node (subnet.env), visible to SSH sessions only.
        ...(state.cni === 'flannel' && !state.nodesOnly ? [{ source: await nodeRunFlannelDir(state, node), target: '/run/flannel' }] : []),
      ],
    });
    node.sshdPid = proc.pid;
    state.processes.push(proc);
  });
}

/** Resolves once every node's sshd accepts TCP from the root namespace (or names the laggards). */
export async function waitForSshds(state: LabState, timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let waiting = [...state.nodes];
  while (waiting.length > 0 && Date.now() < deadline) {
    const open = await Promise.all(waiting.map((n) => tcpOpen(n.address, 22)));
    waiting = waiting.filter((_, i) => !open[i]);
    if (waiting.length > 0) await sleep(50);
  }
  return waiting.map((n) => n.name);
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 1000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** known_hosts (name and address per node) and the Ansible inventory. */
export async function writeAccessFiles(state: LabState): Promise<void> {
  await writeFile(state.files.knownHosts, state.nodes.map((n) => `${n.name},${n.address} ${n.hostKey}`).join('\n') + '\n');
  const hosts = Object.fromEntries(state.nodes.map((n) => [n.name, { ansible_host: n.address }]));
  const inventory = {
    all: {
      vars: {
        ansible_user: 'root',
        ansible_ssh_private_key_file: state.files.sshKey,
        ansible_ssh_common_args: `-o UserKnownHostsFile=${state.files.knownHosts} -o StrictHostKeyChecking=yes`,
        netdiag_lab: state.name,
      },
      children: {
        k8s_cluster: {
          children: {
            kube_control_plane: { hosts: { [state.nodes[0].name]: { ansible_host: state.nodes[0].address } } },
            nodes: { hosts },
          },
        },
      },
    },
  };
  const header = `# netdiag lab "${state.name}" — written by \`netdiag lab up\`; removed by \`netdiag lab down\`.\n`;
  await writeFile(state.files.inventory, header + stringify(inventory, { lineWidth: 0 }));
}
