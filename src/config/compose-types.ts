/**
 * The compose file as berth reads it (parseCompose in compose-model.ts): the types, in a
 * file of their own so that the modules parseCompose uses or re-exports
 * (compose-database.ts) need not import compose-model.ts back.
 */
import type { Mount } from "./compose-mounts.js";
import type { PortMapping } from "./compose-ports.js";

export interface ComposeBuild {
  /** As written, relative to the compose file's directory. */
  readonly context: string;
  /** As written, relative to the context; undefined means Dockerfile. */
  readonly dockerfile: string | undefined;
  readonly args: Readonly<Record<string, string>>;
  readonly target: string | undefined;
}

export interface ComposeHealthcheck {
  /** The test command's words after CMD / CMD-SHELL. */
  readonly test: readonly string[];
  /** The path of the first http(s) URL the test fetches, if any. */
  readonly path: string | undefined;
}

/** An `env_file:` entry: compose reads it on the server when the container is created. */
export interface ComposeEnvFile {
  /** As written, after defaults (relative to the project directory, <root>/<env> for berth). */
  readonly path: string;
  /** False for the long syntax's `required: false` (compose skips a missing file). */
  readonly required: boolean;
}

export interface ComposeService {
  readonly name: string;
  /** `container_name:`: one container of that name per Docker engine. */
  readonly containerName: string | undefined;
  readonly envFiles: readonly ComposeEnvFile[];
  /** `profiles:`: the service starts only when one of them is enabled. */
  readonly profiles: readonly string[];
  /** `extends:`: another service's fields, from this file or `file`. */
  readonly extends: { readonly service: string; readonly file: string | undefined } | undefined;
  readonly image: string | undefined;
  readonly build: ComposeBuild | undefined;
  readonly ports: readonly PortMapping[];
  readonly volumes: readonly Mount[];
  readonly healthcheck: ComposeHealthcheck | undefined;
  readonly dependsOn: readonly string[];
  readonly user: string | undefined;
  readonly command: string | readonly string[] | undefined;
  readonly workingDir: string | undefined;
  readonly networkMode: string | undefined;
  /** environment: as a map (list entries without `=` are left out). */
  readonly environment: Readonly<Record<string, string>>;
}

export interface ComposeVolume {
  /** `name:` (the real Docker volume name), when set. */
  readonly name: string | undefined;
  readonly external: boolean;
  /** The host directory of a local volume declared with `o: bind` and `device:`. */
  readonly bindDevice: string | undefined;
}

export interface ComposeVariable {
  readonly name: string;
  readonly required: boolean;
  /** The first field that uses it, e.g. services.web.environment.SECRET_KEY_BASE. */
  readonly field: string;
}

export interface ComposeProblem {
  readonly field: string;
  readonly value: string;
  readonly message: string;
}

export interface ComposeModel {
  readonly name: string | undefined;
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly volumes: Readonly<Record<string, ComposeVolume>>;
  readonly variables: readonly ComposeVariable[];
  readonly problems: readonly ComposeProblem[];
  /** Top-level `include:`: the other compose files it merges, as written. */
  readonly include: readonly string[];
}
