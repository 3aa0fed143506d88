/**
 * What deploy and rollback both do on the server: log in to the registry, upload the
 * release bundle, install the matching scripts, run a verb detached and stream it.
 */

import { type Credentials, loginServers } from "../build/registry.js";
import type { LogEvent } from "../release/log-events.js";
import {
  berthPath,
  installScripts,
  receiveBundle,
  registryLogin,
  registryLogout,
  releaseDir,
  runAuthDir,
} from "../remote/commands.js";
import type { Reporter } from "../reporter.js";
import type { Transport } from "../transport/transport.js";
import { type Bundle, tarball } from "./bundle.js";
import { follow, type RunOutcome, startDetached } from "./remote-run.js";

export interface Server {
  readonly root: string;
  readonly environment: string;
  readonly connect: () => Promise<Transport>;
}

async function must(transport: Transport, what: string, argv: readonly string[], stdin?: string | Buffer) {
  const r = await transport.exec({ argv }, stdin === undefined ? {} : { stdin });
  if (r.exitCode !== 0) {
    throw new Error(
      `${what} failed on the server (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
  }
  return r;
}

/**
 * Log the server in to each image registry for this run only: into a docker config of
 * the run's own (runAuthDir), which the run's pulls use and `berth run` removes when the
 * run ends. The job's token, which expires with the job, never replaces the deploy
 * user's standing pull credential in ~/.docker/config.json.
 */
export async function loginRegistry(
  transport: Transport,
  server: Server,
  runId: string,
  repos: readonly string[],
  credentials: Credentials,
) {
  const dir = runAuthDir(server.root, server.environment, runId);
  for (const registry of loginServers(repos)) {
    await must(
      transport,
      `registry login to ${registry}`,
      registryLogin(dir, registry, credentials.username).argv,
      credentials.password,
    );
  }
}

/** Remove the run's registry login (again: `berth run` does when the run ends); never fails the run. */
export async function forgetRegistryLogin(
  transport: Transport,
  server: Server,
  runId: string,
  reporter: Pick<Reporter, "warning">,
) {
  const dir = runAuthDir(server.root, server.environment, runId);
  try {
    const r = await transport.exec(registryLogout(dir));
    if (r.exitCode === 0) return;
    reporter.warning(`could not remove this run's registry login ${dir} on the server: ${r.stderr.trim()}`);
  } catch (e) {
    reporter.warning(
      `could not remove this run's registry login ${dir} on the server (${(e as Error).message}); berth run removes it when the run ends`,
    );
  }
}

export async function uploadBundle(
  transport: Transport,
  server: Server,
  sha: string,
  runId: string,
  bundle: Bundle,
  install: { readonly allowDowngrade: boolean },
) {
  const dest = releaseDir(server.root, server.environment, sha);
  const incoming = `${server.root}/${server.environment}/releases/.incoming-${runId}`;
  await must(
    transport,
    "upload of the release bundle",
    receiveBundle(dest, incoming).argv,
    await tarball(bundle),
  );
  await must(
    transport,
    "install of the berth scripts",
    installScripts(dest, server.root, install.allowDowngrade).argv,
  );
}

/**
 * Turns the remote log into runner log groups and collects per-phase seconds. Every
 * line made of the server's words (its log, a phase's name and status) goes through
 * `reporter.remote`; `close` ends the server's output (call it in a `finally`).
 */
export function phaseReporter(reporter: Reporter) {
  const phases: Record<string, number> = {};
  let open = false;
  const onEvent = (e: LogEvent) => {
    switch (e.kind) {
      case "line":
        reporter.remote(e.text);
        break;
      case "phase-start":
        if (open) reporter.endGroup();
        reporter.startGroup(e.phase);
        open = true;
        break;
      case "phase-end":
        phases[e.phase] = (phases[e.phase] ?? 0) + e.seconds;
        reporter.remote(
          `${e.phase}: ${e.status} in ${e.seconds}s${e.exitCode ? ` (exit ${e.exitCode})` : ""}`,
        );
        if (open) reporter.endGroup();
        open = false;
        break;
      case "result":
        break;
    }
  };
  const close = () => {
    if (open) reporter.endGroup();
    open = false;
    reporter.remoteEnd();
  };
  return { onEvent, phases, close };
}

export async function runVerb(
  transport: Transport,
  server: Server,
  runId: string,
  verb: readonly string[],
  reporter: Reporter,
): Promise<RunOutcome & { phases: Record<string, number> }> {
  const run = { berth: berthPath(server.root), environment: server.environment, runId, verb };
  await startDetached(transport, run);
  const phases = phaseReporter(reporter);
  try {
    const outcome = await follow(transport, run, {
      connect: server.connect,
      onEvent: phases.onEvent,
      log: (m) => reporter.warning(m),
    });
    return { ...outcome, phases: phases.phases };
  } finally {
    phases.close();
  }
}
