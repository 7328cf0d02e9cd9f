/**
 * A self-signed CA and a server certificate for the lab API (HTTPS like every real cluster;
 * kubeconfigs carry `certificate-authority-data`). Generated once per lab with the `openssl`
 * CLI into `<labDir>/api-tls/`; when openssl is missing the server falls back to plain HTTP
 * and says so in api.log.
 */
import { execFile } from 'node:child_process';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM material of the lab API's TLS. */
export interface LabTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Folder holding the lab's CA and server certificate. */
export function tlsDir(labDir: string): string {
  return join(labDir, 'api-tls');
}

const exists = (f: string) => access(f).then(() => true, () => false);

/** True when the openssl CLI can be run. */
export async function opensslAvailable(): Promise<boolean> {
  try {
    await run('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

/** Reads the CA PEM of a lab, if it has one. */
export async function readCaPem(labDir: string): Promise<string | undefined> {
  try {
    return await readFile(join(tlsDir(labDir), 'ca.crt'), 'utf8');
  } catch {
    return undefined;
  }
}

/** Creates (or reuses) the CA and server certificate; undefined when openssl is unavailable. */
export async function ensureTls(labDir: string): Promise<LabTls | undefined> {
  const dir = tlsDir(labDir);
  const f = (name: string) => join(dir, name);
  if (!(await exists(f('server.crt'))) || !(await exists(f('server.key'))) || !(await exists(f('ca.crt')))) {
    if (!(await opensslAvailable())) return undefined;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await run('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '3650', '-subj', '/CN=netdiag-lab-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
    await run('openssl', ['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=kube-apiserver']);
    await writeFile(f('server.ext'), [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
      '',
    ].join('\n'));
    await run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
      '-out', f('server.crt'), '-days', '3650', '-extfile', f('server.ext')]);
    // The keys are secrets whatever openssl's umask handling does.
    await Promise.all(['ca.key', 'server.key'].map((k) => chmod(f(k), 0o600)));
  }
  return {
    caPem: await readFile(f('ca.crt'), 'utf8'),
    certPem: await readFile(f('server.crt'), 'utf8'),
    keyPem: await readFile(f('server.key'), 'utf8'),
  };
}
