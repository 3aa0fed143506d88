/** Turning validated connection inputs into the server handle deploy and rollback use. */
import { randomBytes } from "node:crypto";
import * as core from "@actions/core";
import type { ResolvedEnvironment } from "../../config/load.js";
import type { Server } from "../../deploy/server-session.js";
import type { RunInfo } from "../../release/manifest.js";
import { connectSsh } from "../../transport/ssh.js";
import type { RegistryInputs } from "./registry-inputs.js";

export interface ConnectionInputs extends RegistryInputs {
  readonly "ssh-private-key": string;
  readonly "ssh-known-hosts": string;
  readonly "ssh-host"?: string | undefined;
  readonly "ssh-port"?: number | undefined;
  readonly "ssh-user"?: string | undefined;
}

/** berth.yml's environment with the ssh-* input overrides applied. */
export function withOverrides(env: ResolvedEnvironment, i: ConnectionInputs): ResolvedEnvironment {
  return Object.freeze({
    ...env,
    host: i["ssh-host"] ?? env.host,
    port: i["ssh-port"] ?? env.port,
    user: i["ssh-user"] ?? env.user,
  });
}

export function server(env: ResolvedEnvironment, i: ConnectionInputs): Server {
  const target = {
    host: env.host,
    port: env.port,
    user: env.user,
    privateKey: i["ssh-private-key"],
    knownHosts: i["ssh-known-hosts"],
  };
  return {
    root: env.root,
    environment: env.name,
    connect: () => connectSsh(target, { log: (m) => core.warning(m) }),
  };
}

/** Who and what started this run, from the runner's GITHUB_* variables. */
export function runInfo(): RunInfo {
  const e = process.env;
  const runUrl =
    e.GITHUB_SERVER_URL && e.GITHUB_REPOSITORY && e.GITHUB_RUN_ID
      ? `${e.GITHUB_SERVER_URL}/${e.GITHUB_REPOSITORY}/actions/runs/${e.GITHUB_RUN_ID}`
      : "";
  const base = e.GITHUB_RUN_ID ? `${e.GITHUB_RUN_ID}-${e.GITHUB_RUN_ATTEMPT ?? "1"}` : `local-${Date.now()}`;
  // Only safe characters reach the server's run directory name.
  const runId = `${base}-${randomBytes(3).toString("hex")}`.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 64);
  const actor = (e.GITHUB_ACTOR ?? e.USER ?? "unknown").replace(/[^A-Za-z0-9._@-]/g, "_").slice(0, 64);
  return { actor, runUrl, runId };
}
