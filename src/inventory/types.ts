/** An Ansible-compatible inventory after loading (group vars already merged into hosts). */

/** A hop to reach a host through (ProxyJump / `-J user@bastion:port` / native `jump:`). */
export interface JumpHost {
  host: string;
  port: number;
  user?: string;
  privateKeyFile?: string;
}

export interface Host {
  /** Inventory name (what patterns and `{{host.name}}` use). */
  name: string;
  /** `ansible_host`, else the name. */
  address: string;
  port: number;
  user?: string;
  privateKeyFile?: string;
  become: boolean;
  becomeUser?: string;
  /** Hops in order, from `ansible_ssh_common_args` (-J / ProxyJump) or `jump:`. */
  jump: JumpHost[];
  /** known_hosts file from `-o UserKnownHostsFile=` in ssh args, if given. */
  knownHostsFile?: string;
  /**
   * Host key checking from `-o StrictHostKeyChecking=` in ssh args or `ansible_host_key_checking`;
   * used unless `--ssh-host-keys` is given on the command line.
   */
  hostKeyPolicy?: import('../transport/types.js').HostKeyPolicy;
  /** All merged variables (group vars overridden by host vars), for templates. */
  vars: Record<string, unknown>;
  /** Every group the host belongs to, including `all` and ancestors. */
  groups: string[];
}

export interface Group {
  name: string;
  /** Direct member host names. */
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
}

export interface Inventory {
  file: string;
  hosts: Map<string, Host>;
  groups: Map<string, Group>;
  /** Things netdiag ignores or cannot honour (e.g. unsupported ssh options), with locations. */
  warnings?: import('../errors.js').InputProblem[];
}
