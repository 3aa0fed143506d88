/**
 * `berth setup <env>`: its command line, read into validated options, and the plan —
 * what vps-scripts/setup/provision.sh is asked to do for one environment of berth.yml
 * and its compose file: the deploy user, the directory tree, the bind-mounted host
 * directories and who owns them, the env file's variable names, the nginx site. Pure:
 * no file, no network. The script's arguments are argv words, never a shell string.
 */
import { posix } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import type { ComposeModel } from "../config/compose-model.js";
import { BERTH_VARIABLES, interpolate } from "../config/compose-vars.js";
import * as f from "../config/fields.js";
import type { ResolvedEnvironment } from "../config/load.js";
import type { BerthYaml } from "../config/schema.js";

export const SETUP_USAGE = `usage: berth setup <env> [--ssh-user root] [--yes] [options]

Provisions the server of <env> once, over SSH as an admin (root, or a user with
passwordless sudo): packages, the deploy user (berth.yml's user) in the docker group
with the deploy key, the directory tree, the compose file's bind-mounted directories
owned by the containers' uid, an env file naming every variable the compose file needs,
and the nginx site. Shows what it would change and asks first (--yes: without asking).
Run it again at any time: it changes only what is missing, and says so.

Connection:
  --ssh-user USER            the admin to log in as (default root; others use sudo -n)
  --host H, --port P         override berth.yml's environment
  --identity FILE            the admin's private key (default: $BERTH_SSH_KEY, ~/.ssh/id_*, ssh-agent)
  --known-hosts FILE         pinned host keys (default ~/.ssh/known_hosts); an unknown
                             server's key is shown and pinned there once you confirm it
  --host-key-fingerprint SHA256:…   the fingerprint you checked on the server (needed
                             to pin an unknown key without a terminal)
  --config FILE              berth.yml (default ./berth.yml)
The deploy user:
  --deploy-key FILE.pub      its public key (default: ~/.ssh/berth_<app>_deploy_ed25519,
                             generated if missing: store the private key as the secret
                             BERTH_SSH_PRIVATE_KEY of the GitHub environment <env>;
                             give each environment its own key and user, docs/ops/bootstrap.md)
  --deploy-uid N             create it with this uid (default: the containers' uid if free)
  --data-uid N               owner of the bind-mounted directories when the compose file's
                             user: is not a number (default: the deploy user)
  --registry-username U      store a long-lived pull credential for the deploy user
                             (token from $BERTH_REGISTRY_TOKEN; --registry HOST when the
                             images use several registries)
nginx:
  --server-name NAME         the site's DNS name (default: the host of environments.<env>.url)
  --app-port P               the app's published loopback port, every route goes there
                             (default: the host port of ready.service's ready.port)
  --frontend-port P --backend-port P   two upstreams: / to one, /api/ and /auth/ to the other
  --http-listen L, --https-listen L    default 80 and 443 (or address:port)
  --admin-ip IP              sees the site during maintenance (repeatable)
  --nginx-sites-dir DIR      install the site in DIR (default: /etc/nginx/sites-available,
                             enabled by a link in /etc/nginx/sites-enabled)
  --certbot EMAIL            get a Let's Encrypt certificate (webroot) and serve HTTPS
  --no-nginx                 leave nginx alone
`;

/** A command line that cannot be run: the message names the argument, its value and the fix. */
export class SetupUsageError extends Error {
  override name = "SetupUsageError";
}

export interface SetupOptions {
  readonly environment: string;
  readonly config: string | undefined;
  readonly yes: boolean;
  readonly help: boolean;
  readonly sshUser: string;
  readonly overrides: { readonly host?: string; readonly port?: number };
  readonly identityFile: string | undefined;
  readonly knownHostsFile: string | undefined;
  /** As given, normalized to `SHA256:…`. */
  readonly hostKeyFingerprint: string | undefined;
  readonly deployKeyFile: string | undefined;
  readonly deployUid: number | undefined;
  readonly dataUid: number | undefined;
  readonly registryUsername: string | undefined;
  readonly registry: string | undefined;
  readonly nginx: boolean;
  readonly serverName: string | undefined;
  readonly appPort: number | undefined;
  readonly frontendPort: number | undefined;
  readonly backendPort: number | undefined;
  readonly httpListen: string | undefined;
  readonly httpsListen: string | undefined;
  readonly adminIps: readonly string[];
  readonly sitesDir: string | undefined;
  readonly certbotEmail: string | undefined;
}

const OPTIONS = {
  config: { type: "string" },
  yes: { type: "boolean", short: "y" },
  help: { type: "boolean", short: "h" },
  "ssh-user": { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  identity: { type: "string" },
  "known-hosts": { type: "string" },
  "host-key-fingerprint": { type: "string" },
  "deploy-key": { type: "string" },
  "deploy-uid": { type: "string" },
  "data-uid": { type: "string" },
  "registry-username": { type: "string" },
  registry: { type: "string" },
  "no-nginx": { type: "boolean" },
  "server-name": { type: "string" },
  "app-port": { type: "string" },
  "frontend-port": { type: "string" },
  "backend-port": { type: "string" },
  "http-listen": { type: "string" },
  "https-listen": { type: "string" },
  "admin-ip": { type: "string", multiple: true },
  "nginx-sites-dir": { type: "string" },
  certbot: { type: "string" },
} as const;

const field = (re: RegExp, what: string) => z.string().regex(re, { error: `is not ${what}` });
const uid = z.coerce
  .number({ error: "is not a uid (a number), e.g. 1000" })
  .int({ error: "is not a uid (a whole number), e.g. 1000" })
  .min(1, { error: "is not a uid for files a container writes: use a non-root uid, e.g. 1000" })
  .max(4294967294, { error: "is not a uid (at most 4294967294), e.g. 1000" });
const fingerprintField = field(
  /^(SHA256:)?[A-Za-z0-9+/]{43}=?$/,
  "a SHA256 key fingerprint as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it on the server, e.g. SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
);
const serverName = field(
  /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/,
  "a DNS name for the site, e.g. app.example.com",
);
const listen = field(
  /^(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}:|\[[0-9a-fA-F:]+\]:)?[0-9]{1,5}$/,
  "a port or address:port for nginx to listen on, e.g. 80 or 127.0.0.1:8080",
);
const adminIp = field(
  /^(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?:\/[0-9]{1,2})?|[0-9a-fA-F:]+(?:\/[0-9]{1,3})?)$/,
  "an IPv4/IPv6 address or CIDR, e.g. 203.0.113.7",
);
const email = field(
  /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/,
  "an e-mail address (Let's Encrypt sends expiry notices there), e.g. ops@example.com",
);
const registryHost = field(
  /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?(?::[0-9]{1,5})?$/,
  "a registry host[:port], e.g. ghcr.io",
);

function check<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new SetupUsageError(
    `${name} ${JSON.stringify(value)} ${r.error.issues[0]?.message ?? "is not valid"}`,
  );
}

export function parseSetupArgs(args: readonly string[]): SetupOptions {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new SetupUsageError((e as Error).message);
  }
  const { values: v, positionals: pos } = parsed;
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const opt = <T>(k: string, schema: z.ZodType<T>): T | undefined =>
    str(k) === undefined ? undefined : check(schema, `--${k}`, str(k));
  const help = v.help === true;
  const env = pos.shift();
  if (env === undefined && !help)
    throw new SetupUsageError("missing <env>, the environment as named in berth.yml, e.g. staging");
  if (pos.length > 0) throw new SetupUsageError(`unexpected argument ${JSON.stringify(pos[0])}`);
  const fp = opt("host-key-fingerprint", fingerprintField);
  const appPort = opt("app-port", f.port);
  const frontendPort = opt("frontend-port", f.port);
  const backendPort = opt("backend-port", f.port);
  if (appPort !== undefined && (frontendPort !== undefined || backendPort !== undefined))
    throw new SetupUsageError(
      "--app-port with --frontend-port/--backend-port: give --app-port alone (one port for every route), or the two ports",
    );
  if ((frontendPort === undefined) !== (backendPort === undefined))
    throw new SetupUsageError(
      "--frontend-port and --backend-port go together; for an app with one port give --app-port",
    );
  const nginx = v["no-nginx"] !== true;
  const nginxOnly = ["server-name", "app-port", "frontend-port", "http-listen", "nginx-sites-dir", "certbot"];
  const clash = nginxOnly.find((k) => str(k) !== undefined);
  if (!nginx && clash) throw new SetupUsageError(`--${clash} is an nginx option, and --no-nginx was given`);
  const registry = opt("registry", registryHost);
  const registryUsername = opt("registry-username", f.registryUser);
  if (registry !== undefined && registryUsername === undefined)
    throw new SetupUsageError(
      "--registry needs --registry-username (and the token in $BERTH_REGISTRY_TOKEN)",
    );
  const sshUser = opt("ssh-user", f.user) ?? "root";
  return {
    environment: help ? "" : check(f.environmentName, "environment", env),
    config: str("config"),
    yes: v.yes === true,
    help,
    sshUser,
    overrides: {
      ...(str("host") === undefined ? {} : { host: check(f.host, "--host", str("host")) }),
      ...(str("port") === undefined ? {} : { port: check(f.port, "--port", str("port")) }),
    },
    identityFile: str("identity"),
    knownHostsFile: str("known-hosts"),
    hostKeyFingerprint: fp === undefined ? undefined : fp.startsWith("SHA256:") ? fp : `SHA256:${fp}`,
    deployKeyFile: str("deploy-key"),
    deployUid: opt("deploy-uid", uid),
    dataUid: opt("data-uid", uid),
    registryUsername,
    registry,
    nginx,
    serverName: opt("server-name", serverName),
    appPort,
    frontendPort,
    backendPort,
    httpListen: opt("http-listen", listen),
    httpsListen: opt("https-listen", listen),
    adminIps: ((v["admin-ip"] as string[] | undefined) ?? []).map((ip) => check(adminIp, "--admin-ip", ip)),
    sitesDir: opt("nginx-sites-dir", f.serverPath),
    certbotEmail: opt("certbot", email),
  };
}

/** A host directory a service bind-mounts, and who should own it. */
export interface DataDir {
  readonly path: string;
  /** "deploy" (the deploy user), or a numeric uid[:gid]. */
  readonly owner: string;
  /** Why that owner: "web's user: 1000:1000", "--data-uid", "the deploy user". */
  readonly ownerSource: string;
  /** The mounts that use it, e.g. "web: ./storage:/rails/storage". */
  readonly usedBy: readonly string[];
}

export interface SetupPlan {
  /** provision.sh's arguments after `--mode plan|apply` and `--assets DIR`. */
  readonly args: readonly string[];
  readonly dataDirs: readonly DataDir[];
  /** Variables the env file must name (no default in the compose file). */
  readonly envVars: readonly string[];
  /** Variables with a default in the compose file (written as a comment). */
  readonly envOptional: readonly string[];
  readonly nginx:
    | {
        readonly serverName: string;
        readonly upstream: string;
        readonly siteFile: string;
      }
    | undefined;
  /** Things setup does not do, and why (bind mounts it leaves alone…). */
  readonly notes: readonly string[];
  /** Things that will not work as configured. */
  readonly warnings: readonly string[];
}

/** A numeric compose `user:` ("1000", "1000:1000", "${APP_UID:-1000}"), else undefined. */
export function numericUser(user: string | undefined): string | undefined {
  if (user === undefined) return undefined;
  const { text, unresolved } = interpolate(user);
  if (unresolved.length > 0) return undefined;
  return /^[0-9]{1,10}(?::[0-9]{1,10})?$/.test(text) && !/^0(?::|$)/.test(text) ? text : undefined;
}

/** A name that looks like a file, not a directory (config.yml, Caddyfile.json…). */
const looksLikeFile = (p: string) => /\.[A-Za-z0-9]{1,8}$/.test(posix.basename(p));

export function planSetup(input: {
  readonly config: BerthYaml;
  readonly env: ResolvedEnvironment;
  readonly compose: ComposeModel;
  readonly composeFile: string;
  readonly options: SetupOptions;
  /** The deploy user's public key line, when there is one. */
  readonly deployKey: string | undefined;
  readonly registryFromImages: string | undefined;
}): SetupPlan {
  const { config, env, compose, options } = input;
  const envDir = `${env.root}/${env.name}`;
  const notes: string[] = [];
  const warnings: string[] = [];

  // Bind-mounted host directories: relative sources are relative to the project
  // directory berth uses, <root>/<env>.
  const dirs = new Map<string, { owner: string; ownerSource: string; usedBy: string[] }>();
  for (const svc of Object.values(compose.services)) {
    for (const m of svc.volumes) {
      if (m.type !== "bind" || m.source === undefined) continue;
      const use = `${svc.name}: ${m.raw}`;
      if (m.unresolved.length > 0) {
        notes.push(
          `${use}: its host path uses ${m.unresolved.map((v) => `\${${v}}`).join(", ")}, known only on the server; create that directory yourself`,
        );
        continue;
      }
      if (m.source.startsWith("~")) {
        notes.push(`${use}: a path in a home directory is left alone; create it yourself`);
        continue;
      }
      const path = posix
        .normalize(m.source.startsWith("/") ? m.source : posix.join(envDir, m.source))
        .replace(/(.)\/+$/, "$1");
      if (path !== env.root && !path.startsWith(`${env.root}/`)) {
        notes.push(`${use}: ${path} is outside ${env.root}; setup leaves it alone`);
        continue;
      }
      const own = [
        env.root,
        `${env.root}/env`,
        envDir,
        ...["releases", "backups", "maintenance", "runs"].map((d) => `${envDir}/${d}`),
      ];
      if (
        own.includes(path) ||
        path.startsWith(`${env.root}/env/`) ||
        path.startsWith(`${envDir}/releases/`)
      ) {
        warnings.push(
          `${use}: ${path} is one of berth's own directories; mount a directory of its own, e.g. ./data`,
        );
        continue;
      }
      if (m.readOnly) {
        notes.push(`${use}: mounted read-only, so it holds your files, not the app's: put them in ${path}`);
        continue;
      }
      if (looksLikeFile(path)) {
        notes.push(
          `${use}: ${path} looks like a file; create it yourself (a missing source becomes a directory)`,
        );
        continue;
      }
      const numeric = numericUser(svc.user);
      const owner =
        numeric !== undefined
          ? { owner: numeric, ownerSource: `${svc.name}'s user: ${svc.user}` }
          : options.dataUid !== undefined
            ? { owner: String(options.dataUid), ownerSource: "--data-uid" }
            : {
                owner: "deploy",
                ownerSource:
                  svc.user === undefined
                    ? `the deploy user (${svc.name} sets no user:; pass --data-uid N if its image runs as another uid)`
                    : `the deploy user (${svc.name}'s user: ${svc.user} is not a number; pass --data-uid N with its uid)`,
              };
      const seen = dirs.get(path);
      if (seen === undefined) dirs.set(path, { ...owner, usedBy: [use] });
      else {
        seen.usedBy.push(use);
        if (seen.owner !== owner.owner)
          warnings.push(
            `${path} is written by containers of two uids (${seen.ownerSource}; ${owner.ownerSource}): it is given to ${seen.owner}`,
          );
      }
    }
  }
  const dataDirs = [...dirs].map(([path, d]) => ({ path, ...d }));

  const uids = new Set(dataDirs.map((d) => d.owner.split(":")[0]).filter((u) => u !== "deploy"));
  if (uids.size > 1)
    warnings.push(
      `the bind-mounted directories belong to several uids (${[...uids].join(", ")}), but berth backs up and restores the SQLite files as ONE deploy user: run the services that write them as one uid`,
    );

  const vars = compose.variables.filter((v) => !BERTH_VARIABLES.includes(v.name));
  const envVars = vars.filter((v) => v.required).map((v) => v.name);
  const envOptional = vars.filter((v) => !v.required).map((v) => v.name);

  const args: string[] = [
    ...["--app", config.app, "--env", env.name, "--user", env.user],
    ...["--root", env.root, "--env-file", env.envFile],
  ];
  if (options.deployUid !== undefined) args.push("--user-uid", String(options.deployUid));
  else if (uids.size === 1) args.push("--prefer-uid", [...uids][0] as string);
  if (input.deployKey !== undefined) args.push("--deploy-key", input.deployKey);
  for (const d of dataDirs) args.push("--data-dir", `${d.path}=${d.owner}`);
  for (const v of envVars) args.push("--env-var", v);
  for (const v of envOptional) args.push("--env-optional", v);
  // berth.yml offsite: a systemd timer runs `berth backup <env> --offsite` on its schedule.
  if (config.offsite !== undefined) args.push("--offsite-schedule", config.offsite.schedule);

  if (options.registryUsername !== undefined) {
    const registry = options.registry ?? input.registryFromImages;
    if (registry === undefined)
      throw new SetupUsageError(
        "--registry-username: the images come from several registries; name the one to log in to with --registry HOST",
      );
    args.push("--registry", registry, "--registry-user", options.registryUsername);
  }

  let nginx: SetupPlan["nginx"];
  if (!options.nginx) args.push("--no-nginx");
  else {
    const name = options.serverName ?? (env.url === undefined ? undefined : new URL(env.url).hostname);
    if (name === undefined)
      throw new SetupUsageError(
        `--server-name: the nginx site needs its DNS name; pass --server-name app.example.com, or set environments.${env.name}.url in berth.yml (or pass --no-nginx to leave nginx alone)`,
      );
    args.push("--server-name", name);
    let upstream: string;
    if (options.frontendPort !== undefined && options.backendPort !== undefined) {
      args.push(
        "--frontend-port",
        String(options.frontendPort),
        "--backend-port",
        String(options.backendPort),
      );
      upstream = `/ → 127.0.0.1:${options.frontendPort}, /api/ /auth/ → 127.0.0.1:${options.backendPort}`;
    } else {
      const port = options.appPort ?? readyHostPort(config, compose, input.composeFile);
      args.push("--app-port", String(port));
      upstream = `every route → 127.0.0.1:${port}`;
    }
    if (options.httpListen !== undefined) args.push("--http-listen", options.httpListen);
    if (options.httpsListen !== undefined) args.push("--https-listen", options.httpsListen);
    for (const ip of options.adminIps) args.push("--admin-ip", ip);
    if (options.sitesDir !== undefined) args.push("--sites-dir", options.sitesDir);
    if (options.certbotEmail !== undefined) args.push("--certbot", options.certbotEmail);
    const site = `${config.app}-${env.name}.conf`;
    nginx = {
      serverName: name,
      upstream,
      siteFile:
        options.sitesDir === undefined ? `/etc/nginx/sites-available/${site}` : `${options.sitesDir}/${site}`,
    };
  }
  return { args, dataDirs, envVars, envOptional, nginx, notes, warnings };
}

/**
 * The loopback port nginx proxies to by default: where ready.service publishes
 * ready.port, with the compose file's defaults applied.
 */
function readyHostPort(config: BerthYaml, compose: ComposeModel, composeFile: string): number {
  const { service, port } = config.ready;
  const svc = compose.services[service];
  const mapping = svc?.ports.find(
    (p) => p.containerPort !== undefined && p.containerPort.start <= port && port <= p.containerPort.end,
  );
  const fix = "pass --app-port with the loopback port it is published on";
  if (mapping === undefined)
    throw new SetupUsageError(
      `--app-port: ${composeFile} does not publish ${service}'s port ${port} (berth.yml ready:); ${fix}`,
    );
  const host = mapping.hostPort;
  if (host === undefined || !/^[0-9]{1,5}$/.test(host))
    throw new SetupUsageError(
      `--app-port: ${composeFile} publishes ${service}:${port} as ${JSON.stringify(mapping.raw)}, whose host port ${host === undefined ? "Docker picks" : `${host} is known only on the server`}; ${fix}`,
    );
  return Number(host);
}

/**
 * The registry the images come from, when they all come from one: its host, or
 * docker.io for Docker Hub names (acme/api, nginx).
 */
export function imageRegistry(images: readonly string[]): string | undefined {
  const hosts = new Set(
    images.map((image) => {
      const first = image.split("/")[0] ?? "";
      return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
        ? first
        : "docker.io";
    }),
  );
  return hosts.size === 1 ? [...hosts][0] : undefined;
}

/** One OpenSSH public key line, or undefined. The comment is kept only when it is plain. */
export function publicKeyLine(text: string): string | undefined {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== "" && !l.startsWith("#"));
  const m =
    /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]{16,}={0,3})(?: (.*))?$/.exec(
      line ?? "",
    );
  if (!m) return undefined;
  const comment = m[3] !== undefined && /^[A-Za-z0-9@._+:=-]{1,100}$/.test(m[3]) ? ` ${m[3]}` : "";
  return `${m[1]} ${m[2]}${comment}`;
}
