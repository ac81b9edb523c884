/**
 * The permissions each sandboxed worker gets, computed from the validated config: net only to
 * the configured hosts, read only on the credential files, write only on a log file. Everything
 * else (env, run, ffi, sys, remote imports) is always denied. Pure, and free of third-party code,
 * because the supervisor thread imports it.
 *
 * @module
 */

import { parseHostPort, urlHostPort } from "../config/address.ts";
import type { Config } from "../config/types.ts";
import { parseListenAddr } from "../http/listen_addr.ts";

/** What a worker may touch; every list is exhaustive (an empty list grants nothing). */
export interface SandboxPermissions {
  /** `host:port` entries (IPv6 in brackets). */
  readonly net: readonly string[];
  /** Files it may read, or `true` for any file (the config loader only). */
  readonly read: readonly string[] | true;
  /** Files it may write. */
  readonly write: readonly string[];
}

/** The config loader reads the config and the files it names; it may not send anything anywhere. */
export const CONFIG_LOADER_PERMISSIONS: SandboxPermissions = { net: [], read: true, write: [] };

/** The Teleport side: the Auth/Proxy address, and the identity or TLS files. */
export function teleportPermissions(config: Config): SandboxPermissions {
  const { addr, identity, clientKey, clientCrt, rootCas } = config.teleport;
  const hostPort = parseHostPort(addr);
  return {
    net: hostPort === undefined ? [] : [`${hostPort.host}:${hostPort.port}`],
    read: present([identity, clientKey, clientCrt, rootCas]),
    write: [],
  };
}

/** The PagerDuty side: the REST API's host and port, nothing else. */
export function pagerDutyPermissions(config: Config): SandboxPermissions {
  const { host, port } = urlHostPort(new URL(config.pagerduty.apiEndpoint));
  return { net: [`${host}:${port}`], read: [], write: [] };
}

/**
 * The running service: both sides, its own listener, and a log file if one is configured.
 *
 * @throws {Error} when the log file is one of the files read (write access would reach it).
 */
export function servicePermissions(config: Config): SandboxPermissions {
  const teleport = teleportPermissions(config);
  const pagerduty = pagerDutyPermissions(config);
  const http = config.http;
  const logFile = config.log.output === "stderr" || config.log.output === "stdout"
    ? undefined
    : config.log.output;
  const read = unique([
    ...(teleport.read === true ? [] : teleport.read),
    ...present([http?.httpsCertFile, http?.httpsKeyFile]),
  ]);
  // Loading the config refuses this already (also through links); never grant it regardless.
  if (logFile !== undefined && read.includes(logFile)) {
    throw new Error(
      `log.output ${logFile} is also a file the service reads: log to another file, or to "stderr".`,
    );
  }
  return {
    net: unique([
      ...teleport.net,
      ...pagerduty.net,
      ...(http === undefined ? [] : parseListenAddr(http.listenAddr).netPermissions),
    ]),
    read,
    write: present([logFile]),
  };
}

/**
 * The program's own code: `src/` of the source tree under `deno run`, of the embedded files in a
 * compiled binary (where `import.meta.url` points into them). npm packages need no entry: Deno
 * lets module loading read them whatever the permissions.
 */
export function codeRoots(): string[] {
  return [decodeURIComponent(new URL("../../src", import.meta.url).pathname)];
}

/**
 * What a jail worker holds: the task's own permissions (it can only hand on what it has) plus
 * reading the program's code, which is what its child's modules are loaded with.
 */
export function jailPermissions(task: SandboxPermissions): SandboxPermissions {
  return {
    net: task.net,
    read: unique([...codeRoots(), ...(task.read === true ? [] : task.read)]),
    write: task.write,
  };
}

/** Worker options granting exactly `permissions` and denying everything else. */
export function workerOptions(name: string, permissions: SandboxPermissions): WorkerOptions {
  return {
    type: "module",
    name,
    deno: {
      permissions: {
        net: [...permissions.net],
        read: permissions.read === true ? true : [...permissions.read],
        write: [...permissions.write],
        env: false,
        run: false,
        ffi: false,
        sys: false,
        import: false,
      },
    },
  };
}

function present(values: ReadonlyArray<string | undefined>): string[] {
  return unique(values.filter((v): v is string => v !== undefined));
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
