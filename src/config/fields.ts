/**
 * Field validators shared by berth.yml and action inputs. Each rejects shell
 * metacharacters, whitespace, control characters and path traversal by *allowing*
 * only a narrow alphabet, and its message says what is allowed and gives an example.
 */
import { z } from "zod";

const field = (re: RegExp, what: string, example: string, max = 255) =>
  z
    .string({ error: `must be ${what} (a string), e.g. ${example}` })
    .max(max, { error: `is longer than ${max} characters; use ${what}, e.g. ${example}` })
    .regex(re, { error: `is not ${what}; use e.g. ${example}` });

export const sha = field(
  /^[0-9a-f]{40}$/,
  "a full 40-character lowercase hex git commit SHA",
  "`git rev-parse HEAD`",
);

export const appName = field(
  /^[a-z][a-z0-9-]{0,39}$/,
  "a lowercase name (a-z, 0-9, -; starts with a letter)",
  "shop",
  40,
);

/**
 * Names of the server root's own directories (vps-scripts/lib/common.sh RESERVED_ENVS, kept
 * equal by test/unit/config.test.ts): an environment of that name would share its directory
 * with berth's scripts or settings, and the next install would replace its ledger and backups.
 */
export const RESERVED_ENVIRONMENT_NAMES = ["bin", "commands", "env", "helper", "lib", "nginx"] as const;

export const environmentName = field(
  /^[a-z][a-z0-9-]{0,31}$/,
  "an environment name (a-z, 0-9, -; starts with a letter)",
  "staging",
  32,
).refine((name) => !(RESERVED_ENVIRONMENT_NAMES as readonly string[]).includes(name), {
  error: `is a directory of the server root (${RESERVED_ENVIRONMENT_NAMES.join(", ")}); name the environment otherwise, e.g. staging`,
});

/** Compose service names: we keep to the portable subset. */
export const serviceName = field(
  /^[a-z][a-z0-9_-]{0,62}$/,
  "a service name (a-z, 0-9, _ and -; starts with a letter)",
  "backend",
  63,
);

/**
 * An image repository without tag or digest: optional registry host[:port], then
 * lowercase path components (docker/distribution reference grammar).
 */
const component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const registryHost =
  "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?)";
export const imageRepo = field(
  new RegExp(`^(?:${registryHost}/)?${component}(?:/${component})*$`),
  "an image repository without tag (lowercase path, optional registry host:port)",
  "ghcr.io/acme/backend",
);

export const tag = field(
  /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
  "a docker tag (letters, digits, _ . -; at most 128)",
  "latest",
  128,
).refine((t) => !/^[0-9a-f]{40}$/.test(t), {
  error: "looks like a commit SHA; SHA tags are written only by berth (immutable), pick another extra tag",
});

export const buildArgName = field(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "a build-arg name", "NODE_ENV", 128);

/**
 * Printable text: any character but control and format characters (newlines, tabs, NUL,
 * DEL, C1, zero-width and bidi overrides, which hide what a log line really says).
 * For values that only ever travel as one argv word (build args, command words): no
 * shell sees them, so quotes, spaces and `$` are plain data.
 */
const printable = (what: string, example: string, max: number) =>
  z
    .string({ error: `must be ${what} (a string), e.g. ${example}` })
    .max(max, { error: `is longer than ${max} characters; use ${what}, e.g. ${example}` })
    .regex(/^[^\p{Cc}\p{Cf}]*$/u, {
      error: `is not ${what}: it holds a control or format character (newline, tab, NUL, bidi override…); use e.g. ${example}`,
    });

export const buildArgValue = printable("a build-arg value of printable characters", '"Acme API"', 4096);

/**
 * A path inside the repository, relative to the file that names it: no leading /, no
 * odd characters. `..` segments are allowed here; the loader refuses a path that
 * resolves outside the repository.
 */
export const repoPath = field(
  /^(?!\/)[A-Za-z0-9_.][A-Za-z0-9_./@+-]*$/,
  "a relative path inside the repository (no leading /)",
  "backend/Dockerfile",
  1024,
);

/** A path inside the repository given as an action input: relative, no `..` at all. */
export const inputRepoPath = field(
  /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9_.][A-Za-z0-9_./-]*$/,
  "a relative path inside the repository (no leading /, no ..)",
  "config/deploy/berth.yml",
  1024,
);

/** A path relative to <root>/<env>/ on the server: no leading /, no `..`. */
export const envPath = field(
  /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9_.][A-Za-z0-9_./-]*$/,
  "a relative path under <root>/<env>/ on the server (no leading /, no ..)",
  "data/app.db",
  1024,
);

/** An absolute path on the VPS. */
export const serverPath = field(
  /^\/(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9_./-]*$/,
  "an absolute path on the server (letters, digits, _ . - /; no ..)",
  "/opt/shop",
  1024,
);

export const host = field(
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)$/,
  "a hostname or IP address",
  "vps.example.com",
);

export const user = field(/^[a-z_][a-z0-9_-]{0,31}$/, "a Unix user name", "deploy", 32);

export const port = z.coerce
  .number({ error: "must be a TCP port number, e.g. 22" })
  .int({ error: "must be a whole TCP port number, e.g. 22" })
  .min(1, { error: "must be a TCP port from 1 to 65535, e.g. 22" })
  .max(65535, { error: "must be a TCP port from 1 to 65535, e.g. 22" });

export const urlPath = field(/^\/[A-Za-z0-9_./-]*$/, "a URL path starting with /", "/readyz");

export const httpUrl = field(
  /^https?:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:\/[A-Za-z0-9_./%-]*)?$/,
  "an http(s) URL",
  "https://shop.example.com",
);

/** A word of a command run in a container (argv element, never a shell string). */
export const commandWord = printable("a command word of printable characters", "db:migrate", 4096).min(1, {
  error: "is empty; give a command word, e.g. db:migrate",
});

/**
 * A restic repository (docs/ops/offsite.md): sftp:, s3:, b2:, rest:, azure:, gs:, swift:
 * or an absolute local path. Credentials never live in berth.yml: they come from the
 * server's offsite env file (RESTIC_PASSWORD, AWS_SECRET_ACCESS_KEY, RESTIC_REST_PASSWORD…).
 */
export const resticRepository = field(
  /^(?:(?:sftp|s3|b2|rest|azure|gs|swift):[A-Za-z0-9_.:/@+~%-]+|\/(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9_./-]+)$/,
  "a restic repository (sftp:, s3:, b2:, rest:, azure:, gs:, swift: or an absolute path)",
  "sftp:backup@backup.example.com:/srv/restic/shop",
  512,
).refine((r) => !/:\/\/[^/@]*:[^/@]*@/.test(r), {
  error:
    "holds a password in its URL; put it in the server's offsite env file instead (RESTIC_REST_PASSWORD for rest:, AWS_SECRET_ACCESS_KEY for s3:)",
});

// A GitHub App's actor (renovate[bot], dependabot[bot]: the default github.actor of an
// auto-merged pull request) ends in [bot]; brackets anywhere else are refused.
export const registryUser = field(
  /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,249}(?:\[bot\])?$/,
  "a registry user name (letters, digits and _ . @ -, a [bot] suffix; not starting with -)",
  "the workflow expression github.actor",
);
