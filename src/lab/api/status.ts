/**
 * `metav1.Status` objects: what the real API server answers on every error. kubectl and
 * client-node print `message` and branch on `reason`/`code`, so they must be shaped exactly.
 */

/** A Kubernetes Status object. */
export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] };
  code: number;
}

/** An HTTP error answer: status code and the Status body. */
export interface ApiError {
  code: number;
  body: StatusObject;
}

function failure(code: number, reason: string, message: string, details?: StatusObject['details']): ApiError {
  const body: StatusObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) body.details = details;
  return { code, body };
}

/** 401: no or wrong bearer token (the real server's body carries no message). */
export function unauthorized(): ApiError {
  const e = failure(401, 'Unauthorized', 'Unauthorized');
  delete e.body.message;
  return e;
}

/** 404 for a named object: `pods "x" not found`. */
export function notFound(resource: string, name: string, group = ''): ApiError {
  return failure(404, 'NotFound', `${resource}${group ? `.${group}` : ''} "${name}" not found`, { name, group: group || undefined, kind: resource });
}

/** 404 for a path nothing serves (what the real server says for unknown URLs). */
export function pathNotFound(path: string): ApiError {
  return failure(404, 'NotFound', `the server could not find the requested resource`, { causes: [{ reason: 'UnexpectedServerResponse', message: `404 page not found: ${path}` }] });
}

/** 400 Bad Request with the given message. */
export function badRequest(message: string): ApiError {
  return failure(400, 'BadRequest', message);
}

/** 403: a verb the lab's RBAC knob denies. */
export function forbidden(message: string, name: string | undefined, resource: string, group: string): ApiError {
  return failure(403, 'Forbidden', message, { name, group: group || undefined, kind: resource });
}

/** 405: a verb a resource does not support here (e.g. watch). */
export function methodNotAllowed(message: string): ApiError {
  return failure(405, 'MethodNotAllowed', message);
}

/** 422: a patch the lab cannot honour. */
export function invalid(resource: string, name: string, message: string): ApiError {
  return failure(422, 'Invalid', `${resource} "${name}" is invalid: ${message}`, { name, kind: resource });
}

/** 409: create of an object that exists (`daemonsets.apps "x" already exists`). */
export function alreadyExists(resource: string, name: string, group = ''): ApiError {
  return failure(409, 'AlreadyExists', `${resource}${group ? `.${group}` : ''} "${name}" already exists`, { name, group: group || undefined, kind: resource });
}

/** 500 for a failure of the lab itself (e.g. a restart action that threw). */
export function internalError(message: string): ApiError {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`);
}

/** The Status the exec status channel carries on success. */
export const EXEC_SUCCESS = { metadata: {}, status: 'Success' } as const;

/** The Status the exec status channel carries when the command exits non-zero. */
export function execNonZero(exitCode: number, argv: string[]): object {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}
