/**
 * The test sshd helper itself: its known_hosts line is what the live server presents, and the
 * inventory it writes has Ansible's shape.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSshd, writeInventory, writeKnownHosts, type SshdServer } from '../helpers/sshd.js';

let servers: SshdServer[] = [];
beforeAll(async () => {
  servers = await Promise.all([startSshd(), startSshd()]);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

it('hostKeyLine matches the key the running server presents (ssh-keyscan)', () => {
  for (const server of servers) {
    const scanned = execFileSync('ssh-keyscan', ['-t', 'ed25519', '-p', String(server.port), '127.0.0.1'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    expect(scanned).toBe(server.hostKeyLine);
  }
});

it('accepts the generated user key (real ssh client, strict host key checking)', () => {
  const server = servers[0];
  const out = execFileSync(
    'ssh',
    ['-i', server.userKeyFile, '-p', String(server.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${server.knownHostsFile}`, `${server.user}@127.0.0.1`, 'echo ok'],
    { encoding: 'utf8' },
  );
  expect(out).toBe('ok\n');
});

it('writes an Ansible-shaped inventory and a shared known_hosts', async () => {
  const knownHostsFile = await writeKnownHosts(join(servers[0].dir, 'known_hosts_all'), servers);
  expect((await readFile(knownHostsFile, 'utf8')).trim().split('\n')).toEqual(servers.map((s) => s.hostKeyLine));
  const file = await writeInventory(
    join(servers[0].dir, 'hosts.yaml'),
    [
      { name: 'node1', server: servers[0] },
      { name: 'node2', server: servers[1], vars: { ansible_become: true } },
    ],
    { groups: { workers: ['node2'] }, vars: { site: 'lab' }, knownHostsFile },
  );
  const inventory = parse(await readFile(file, 'utf8'));
  expect(inventory).toEqual({
    all: {
      hosts: {
        node1: {
          ansible_host: '127.0.0.1',
          ansible_port: servers[0].port,
          ansible_user: servers[0].user,
          ansible_ssh_private_key_file: servers[0].userKeyFile,
          ansible_ssh_common_args: `-o UserKnownHostsFile=${knownHostsFile}`,
        },
        node2: {
          ansible_host: '127.0.0.1',
          ansible_port: servers[1].port,
          ansible_user: servers[1].user,
          ansible_ssh_private_key_file: servers[1].userKeyFile,
          ansible_ssh_common_args: `-o UserKnownHostsFile=${knownHostsFile}`,
          ansible_become: true,
        },
      },
      vars: { site: 'lab' },
      children: { workers: { hosts: { node2: null } } },
    },
  });
});

it('stop() frees the port and removes the directory', async () => {
  const server = await startSshd();
  await server.stop();
  expect(execFileSync('ss', ['-Htln', `( sport = :${server.port} )`], { encoding: 'utf8' }).trim()).toBe('');
  expect(() => execFileSync('test', ['-e', server.dir])).toThrow();
});
