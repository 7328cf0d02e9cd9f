import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { expandHostRange } from '../../src/inventory/host-range.js';
import { loadInventory, parseInventory } from '../../src/inventory/load.js';
import { parseJumpSpec, parseSshCommonArgs, shellWords } from '../../src/inventory/ssh-args.js';

const root = path.resolve(import.meta.dirname, '../..');
const file = path.join(root, 'test/fixtures/inventories/good/hosts.yaml');
const keyPath = path.join(root, 'test/fixtures/inventories/good/keys/id_ed25519');

describe('loadInventory on the sample inventory', () => {
  it('expands ranges and keeps inventory order', async () => {
    const inv = await loadInventory(file);
    expect([...inv.hosts.keys()]).toEqual(['bastion', 'cp-1', 'node-1', 'node-2', 'node-3', 'gpu-a', 'gpu-b', 'edge01']);
    expect(inv.groups.get('workers')?.hosts).toEqual(['node-1', 'node-2', 'node-3', 'gpu-a', 'gpu-b']);
    expect(inv.groups.get('nodes')?.children).toEqual(['control', 'workers']);
    expect(inv.groups.get('ungrouped')?.hosts).toEqual(['bastion']);
  });

  it('merges vars with Ansible precedence: all < parent < child < host', async () => {
    const inv = await loadInventory(file);
    expect(inv.hosts.get('edge01')!.vars.level).toBe('all');
    expect(inv.hosts.get('cp-1')!.vars.level).toBe('nodes');
    expect(inv.hosts.get('node-1')!.vars.level).toBe('workers');
    expect(inv.hosts.get('gpu-a')!.vars.level).toBe('host');
    expect(inv.hosts.get('node-2')!.groups).toEqual(['all', 'nodes', 'workers']);
  });

  it('maps connection vars, resolving keys next to the inventory and ~ to home', async () => {
    const inv = await loadInventory(file);
    expect(inv.hosts.get('bastion')).toMatchObject({ address: '198.18.0.10', port: 2222, user: 'ops', privateKeyFile: keyPath, become: false, jump: [] });
    expect(inv.hosts.get('gpu-b')).toMatchObject({ address: 'gpu-b', port: 22, user: 'root', become: true, becomeUser: 'admin' });
    expect(inv.hosts.get('node-1')!.knownHostsFile).toBe(path.join(os.homedir(), '.ssh/netdiag_known_hosts'));
  });

  it('resolves -J through an inventory host (its address, port, user and key) and native jump: lists', async () => {
    const inv = await loadInventory(file);
    expect(inv.hosts.get('cp-1')!.jump).toEqual([{ host: '198.18.0.10', port: 2222, user: 'ops', privateKeyFile: keyPath }]);
    expect(inv.hosts.get('edge01')!.jump).toEqual([
      { host: '198.18.0.10', port: 2222, user: 'ops' },
      { host: '198.18.0.11', port: 22, user: 'jump2' },
    ]);
  });
});

describe('parseInventory details', () => {
  it('accepts top-level groups besides all, null bodies and merge keys', () => {
    const inv = parseInventory(
      '/tmp/inv.yaml',
      `all:
  hosts:
    solo:
web:
  vars: &defaults { ansible_user: deploy, ansible_port: "2200" }
  hosts:
    w[1:2]:
db:
  vars:
    <<: *defaults
    ansible_port: 5522
  hosts:
    d1: { ansible_become: "yes" }
`,
    );
    expect(inv.groups.get('all')!.children).toEqual(['web', 'db', 'ungrouped']);
    expect(inv.hosts.get('w2')).toMatchObject({ user: 'deploy', port: 2200, groups: ['all', 'web'] });
    expect(inv.hosts.get('d1')).toMatchObject({ user: 'deploy', port: 5522, become: true });
    expect(inv.hosts.get('solo')!.groups).toEqual(['all', 'ungrouped']);
  });

  it('uses ansible_group_priority between groups of the same depth, and host vars merged across groups', () => {
    const inv = parseInventory(
      '/tmp/inv.yaml',
      `all:
  children:
    a: { vars: { x: a, ansible_group_priority: 10 }, hosts: { h: { y: 1 } } }
    b: { vars: { x: b }, hosts: { h: { z: 2 } } }
`,
    );
    expect(inv.hosts.get('h')!.vars).toMatchObject({ x: 'a', y: 1, z: 2 });
  });

  it('prefers explicit ansible_* vars over ssh args, and warns about options it ignores', () => {
    const inv = parseInventory(
      '/tmp/inv.yaml',
      `all:
  vars:
    ansible_ssh_common_args: "-p 2022 -l bob -i ~/k -o StrictHostKeyChecking=no -o Compression=yes -o ProxyCommand='ssh -W %h:%p -p 2200 ops@198.18.0.9'"
  hosts:
    a: { ansible_port: 22 }
    b:
`,
    );
    expect(inv.hosts.get('a')).toMatchObject({ port: 22, user: 'bob', privateKeyFile: path.join(os.homedir(), 'k'), hostKeyPolicy: 'off' });
    expect(inv.hosts.get('b')).toMatchObject({ port: 2022, jump: [{ host: '198.18.0.9', port: 2200, user: 'ops' }] });
    expect(inv.warnings?.map((w) => w.message)).toEqual(['ssh option Compression is ignored by netdiag (hosts a, b)']);
  });

  it.each([
    ['-o StrictHostKeyChecking=yes', {}, 'strict'],
    ['-o StrictHostKeyChecking=ask', {}, 'strict'],
    ['-o StrictHostKeyChecking=accept-new', {}, 'accept-new'],
    ['-o StrictHostKeyChecking=yes', { ansible_host_key_checking: false }, 'off'],
    ['', { ansible_host_key_checking: 'yes' }, 'strict'],
    ['', {}, undefined],
  ])('host key checking from ssh args %j and vars %j → %s', (args, vars, policy) => {
    const inv = parseInventory('/tmp/inv.yaml', `all:\n  hosts:\n    h:\n      ansible_ssh_common_args: "${args}"\n${Object.entries(vars).map(([k, v]) => `      ${k}: ${v}\n`).join('')}`);
    expect(inv.hosts.get('h')!.hostKeyPolicy).toBe(policy);
  });

  it('rejects an unknown StrictHostKeyChecking value with file:line:col', () => {
    expect(() => parseInventory('inv.yaml', 'all:\n  hosts:\n    h: { ansible_ssh_common_args: "-o StrictHostKeyChecking=maybe" }\n')).toThrow(
      /inv\.yaml:3:\d+: .*StrictHostKeyChecking: expected yes, accept-new, no, off or ask, got "maybe"/,
    );
  });

  it('reports problems with file:line:col', () => {
    try {
      parseInventory('inv.yaml', 'all:\n  hosts:\n    n[1:x]:\n  vars: { ansible_port: 0 }\n');
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).message.split('\n')).toEqual([
        'inv.yaml:3:5: all.hosts["n[1:x]"]: host range "[1:x]" in "n[1:x]": use two numbers ([01:03]) or two letters of the same case ([a:c])',
        'inv.yaml:4:25: all.vars.ansible_port: expected a port number 1-65535, got 0',
      ]);
    }
  });
});

describe('expandHostRange', () => {
  it('expands numeric (keeping zero padding), alphabetic, stepped and multiple ranges', () => {
    expect(expandHostRange('node[01:03]')).toEqual({ hosts: ['node01', 'node02', 'node03'] });
    expect(expandHostRange('node-[a:c]')).toEqual({ hosts: ['node-a', 'node-b', 'node-c'] });
    expect(expandHostRange('n[1:10:4].lab')).toEqual({ hosts: ['n1.lab', 'n5.lab', 'n9.lab'] });
    expect(expandHostRange('r[1:2]-n[a:b]')).toEqual({ hosts: ['r1-na', 'r1-nb', 'r2-na', 'r2-nb'] });
    expect(expandHostRange('plain')).toEqual({ hosts: ['plain'] });
  });
  it('rejects malformed ranges', () => {
    for (const bad of ['n[3:1]', 'n[1:3', 'n[a:3]', 'n[1]', 'n[1:3:0]', 'n]', 'n[0:99999]', 'n[a:C]']) expect(expandHostRange(bad), bad).toHaveProperty('error');
  });
});

describe('ssh args', () => {
  it('splits words like sh', () => {
    expect(shellWords(`-o "ProxyJump a@b" -o 'X=y z' plain\\ word`)).toEqual(['-o', 'ProxyJump a@b', '-o', 'X=y z', 'plain word']);
    expect(shellWords(`-o "unterminated`)).toEqual({ error: 'unterminated double quote' });
  });
  it('parses -J, ProxyJump, known hosts, port and identity', () => {
    const a = parseSshCommonArgs('-J ops@b1:2222,b2 -o UserKnownHostsFile=/k/known -p2200 -i /k/id -oPort=2300');
    expect(a).toMatchObject({ jump: [{ host: 'b1', port: 2222, user: 'ops' }, { host: 'b2' }], knownHostsFile: '/k/known', port: 2300, privateKeyFile: '/k/id', errors: [] });
    expect(parseSshCommonArgs('-o ProxyJump=u@[2001:db8::1]:22').jump).toEqual([{ host: '2001:db8::1', port: 22, user: 'u' }]);
    expect(parseSshCommonArgs('-J').errors).toEqual(['-J needs a value']);
    expect(parseSshCommonArgs('-o ProxyJump=h:99999').errors[0]).toContain('invalid port');
  });
  it('parses jump specs', () => {
    expect(parseJumpSpec('ssh://u@h:22')).toEqual({ host: 'h', port: 22, user: 'u' });
    expect(parseJumpSpec('@h')).toContain('empty user');
  });
});

describe('INI inventories', () => {
  it('loads the INI twin of the sample inventory to the same hosts', async () => {
    const yaml = await loadInventory(file);
    const ini = await loadInventory(path.join(root, 'test/fixtures/inventories/good/hosts.ini'));
    expect([...ini.hosts.keys()]).toEqual([...yaml.hosts.keys()]);
    for (const [name, host] of yaml.hosts) {
      const other = ini.hosts.get(name)!;
      const { vars: _a, groups: ga, ...connYaml } = host;
      const { vars: _b, groups: gi, ...connIni } = other;
      if (name === 'edge01') expect(connIni).toMatchObject({ port: 2200, jump: [connYaml.jump[0]] });
      else expect(connIni).toEqual(connYaml);
      expect(new Set(gi)).toEqual(new Set(ga));
      expect(other.vars.level).toBe(host.vars.level);
    }
  });

  it('reads plain host-name lists and inline literals', () => {
    const inv = parseInventory('hosts', 'a.example\nb.example ansible_port=2022 flag=True ratio=0.5 name="x y"\n');
    expect([...inv.hosts.keys()]).toEqual(['a.example', 'b.example']);
    expect(inv.hosts.get('b.example')!.vars).toMatchObject({ ansible_port: 2022, flag: true, ratio: 0.5, name: 'x y' });
    expect(inv.hosts.get('b.example')!.port).toBe(2022);
  });
});
