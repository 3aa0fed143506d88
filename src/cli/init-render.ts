/**
 * The files `berth init` writes: berth.yml (only what differs from the defaults, with
 * the $schema comment) and the three caller workflows pinned to one berth commit,
 * shaped like examples/app/.github/workflows. Pure.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${{ }} are GitHub workflow expressions written as text
import { parse } from "yaml";

export interface InitPlan {
  readonly schemaRef: string;
  readonly app: string;
  readonly services: readonly {
    readonly name: string;
    readonly image: string;
    readonly build?: {
      readonly context: string;
      readonly dockerfile: string;
      readonly args: Readonly<Record<string, string>>;
      readonly target: string | undefined;
    };
  }[];
  /** Relative to berth.yml. */
  readonly composeFile: string;
  readonly databases: readonly { readonly path: string; readonly comment: string }[];
  readonly migrate: { readonly service: string; readonly command: readonly string[] | string } | undefined;
  /** Written only when they differ from berth's default (the migrate service). */
  readonly writers: readonly string[] | undefined;
  /** Stateful servers berth does not back up, acknowledged (berth.yml unmanaged:), with what they are. */
  readonly unmanaged: readonly { readonly service: string; readonly kind: string }[];
  readonly ready: {
    readonly service: string;
    readonly port: number;
    readonly path: string;
    /** Written after it: e.g. that the path is a guess. */
    readonly comment?: string | undefined;
  };
  /** Written as swap: { enabled: false } with this reason, when set. */
  readonly swapOff?: string | undefined;
  readonly environments: readonly {
    readonly name: string;
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly root: string;
  }[];
}

/** A YAML scalar: plain when YAML reads it back as the same string, else double-quoted. */
export function scalar(v: string | number): string {
  if (typeof v === "number") return String(v);
  if (/^[^\s,[\]{}#&*!|>'"%@`]+$/.test(v) && !/:$/.test(v)) {
    try {
      if (parse(v) === v && parse(`[${v}]`)?.[0] === v) return v;
    } catch {
      // not plain-safe: quote it
    }
  }
  return JSON.stringify(v);
}

const list = (items: readonly string[]) => `[${items.map(scalar).join(", ")}]`;

export function renderBerthYml(p: InitPlan): string {
  const l: string[] = [
    `# yaml-language-server: $schema=${p.schemaRef}`,
    `app: ${scalar(p.app)}`,
    "services:",
  ];
  for (const s of p.services) {
    l.push(`  ${s.name}:`, `    image: ${scalar(s.image)}`);
    if (!s.build) continue;
    const b = s.build;
    const args = Object.entries(b.args);
    const fields = [
      b.context !== "." ? `context: ${scalar(b.context)}` : "",
      b.dockerfile !== "Dockerfile" ? `dockerfile: ${scalar(b.dockerfile)}` : "",
      b.target !== undefined ? `target: ${scalar(b.target)}` : "",
    ].filter((f) => f !== "");
    if (fields.length === 0 && args.length === 0) {
      l.push("    build: { context: . }");
      continue;
    }
    l.push("    build:", ...fields.map((f) => `      ${f}`));
    if (args.length > 0) l.push("      args:", ...args.map(([k, v]) => `        ${k}: ${scalar(v)}`));
  }
  if (p.composeFile !== "compose.yml") l.push(`compose: { file: ${scalar(p.composeFile)} }`);
  if (p.databases.length === 1 && p.databases[0]) {
    const d = p.databases[0];
    l.push(`database: { path: ${scalar(d.path)} } # ${d.comment}`);
  } else if (p.databases.length > 1) {
    l.push("database:", "  paths:", ...p.databases.map((d) => `    - ${scalar(d.path)} # ${d.comment}`));
  }
  if (p.migrate) {
    const cmd = typeof p.migrate.command === "string" ? scalar(p.migrate.command) : list(p.migrate.command);
    l.push(`migrate: { service: ${p.migrate.service}, command: ${cmd} }`);
  }
  if (p.writers) l.push(`writers: ${list(p.writers)}`);
  if (p.unmanaged.length > 0) {
    const kinds = [...new Set(p.unmanaged.map((u) => u.kind))].join(", ");
    l.push(
      `# ${kinds}: berth backs up SQLite only; no backup before a deploy, no restore on rollback, no safety copy before migrations.`,
      `unmanaged: ${list(p.unmanaged.map((u) => u.service))}`,
    );
  }
  const path = p.ready.path !== "/readyz" ? `, path: ${scalar(p.ready.path)}` : "";
  const readyComment = p.ready.comment === undefined ? "" : ` # ${p.ready.comment}`;
  l.push(`ready: { service: ${p.ready.service}, port: ${p.ready.port}${path} }${readyComment}`);
  if (p.swapOff !== undefined) l.push(`swap: { enabled: false } # ${p.swapOff}`);
  l.push("environments:");
  for (const e of p.environments) {
    const extra = [
      e.port !== 22 ? `port: ${e.port}` : "",
      e.user !== "deploy" ? `user: ${scalar(e.user)}` : "",
    ].filter((f) => f !== "");
    l.push(`  ${e.name}: { host: ${scalar(e.host)}, ${[...extra, `root: ${scalar(e.root)}`].join(", ")} }`);
  }
  return `${l.join("\n")}\n`;
}

export interface CallerPlan {
  /** owner/name of berth on GitHub. */
  readonly berthRepository: string;
  /** The berth commit the `uses:` lines pin (berth's jobs read it back from job.workflow_sha). */
  readonly berthRef: string;
  /** berth.yml relative to the repository root. */
  readonly config: string;
  readonly environments: readonly string[];
  /**
   * The registry needs a push token (a repository secret, BERTH_REGISTRY_PUSH_TOKEN);
   * false for ghcr.io, where build-push pushes with the job's GITHUB_TOKEN.
   */
  readonly registryPushToken: boolean;
}

/** Secrets of each GitHub environment, passed under their own names (docs/ops/bootstrap.md). */
export const ENVIRONMENT_SECRETS = ["BERTH_SSH_PRIVATE_KEY", "BERTH_SSH_KNOWN_HOSTS", "BERTH_REGISTRY_TOKEN"];
export const PUSH_TOKEN_SECRET = "BERTH_REGISTRY_PUSH_TOKEN";

function withBlock(c: CallerPlan, extra: string[]): string[] {
  const lines = [...extra];
  if (c.config !== "berth.yml") lines.push(`      config: ${scalar(c.config)}`);
  return lines.length === 0 ? [] : ["    with:", ...lines];
}

function job(
  c: CallerPlan,
  name: string,
  permissions: string[],
  extra: string[],
  secretsComment: string[],
  pushToken = false,
): string[] {
  const secrets = [...ENVIRONMENT_SECRETS, ...(pushToken ? [PUSH_TOKEN_SECRET] : [])];
  return [
    "permissions: {}",
    "jobs:",
    `  ${name}:`,
    "    permissions:",
    ...permissions.map((p) => `      ${p}`),
    "    # Pinned by commit: berth's jobs run berth's actions from this same commit.",
    `    uses: ${c.berthRepository}/.github/workflows/${name}.yml@${c.berthRef}`,
    ...withBlock(c, extra),
    ...secretsComment.map((l) => `    # ${l}`),
    "    secrets:",
    ...secrets.map((s) => `      ${s}: \${{ secrets.${s} }}`),
  ];
}

/** The three callers, by file name under .github/workflows/. */
export function renderCallers(c: CallerPlan): Record<string, string> {
  const text = (lines: string[]) => `${lines.join("\n")}\n`;
  const rollbackEnvs = [...c.environments].sort((a, b) =>
    a === "production" ? -1 : b === "production" ? 1 : 0,
  );
  const environmentSecrets = [
    "Secrets of the GitHub environment each berth job runs in (Settings → Environments),",
    "passed under their own names: GitHub gives the job the environment's value.",
  ];
  return {
    "berth-staging.yml": text([
      "# Written by berth init. Every push to main: build once, push by SHA, deploy to staging.",
      "name: staging",
      "on:",
      "  push:",
      "    branches: [main]",
      ...job(
        c,
        "staging",
        // id-token and attestations: berth's optional provenance job (attest-provenance);
        // GitHub checks them before the run starts, even with it off.
        ["contents: read", "packages: write", "deployments: write", "id-token: write", "attestations: write"],
        [],
        [
          ...environmentSecrets,
          ...(c.registryPushToken
            ? [`${PUSH_TOKEN_SECRET} is a repository secret: it pushes the images.`]
            : []),
        ],
        c.registryPushToken,
      ),
    ]),
    "berth-promote.yml": text([
      "# Written by berth init. Promote what staging runs (or a release it ran) to production:",
      "# same digests, no rebuild. production's environment: main only, with required reviewers.",
      "name: promote",
      "on:",
      "  workflow_dispatch:",
      "    inputs:",
      "      sha:",
      "        description: Full commit SHA to promote (empty = what staging serves now)",
      "        type: string",
      '        default: ""',
      ...job(
        c,
        "promote",
        ["contents: read", "deployments: write"],
        ["      sha: ${{ inputs.sha }}"],
        [...environmentSecrets, "staging's to read its ledger, then production's to deploy."],
      ),
    ]),
    "berth-rollback.yml": text([
      "# Written by berth init. The panic button: serve the previous release (or a chosen one) again.",
      "name: rollback",
      "on:",
      "  workflow_dispatch:",
      "    inputs:",
      "      environment:",
      "        type: choice",
      `        options: ${list(rollbackEnvs)}`,
      `        default: ${rollbackEnvs[0] ?? "production"}`,
      "      sha:",
      "        description: Release to roll back to (empty = previous release)",
      "        type: string",
      '        default: ""',
      "      database:",
      "        description: If the database changed since that release served",
      "        type: choice",
      "        options: [none, restore, keep]",
      "        default: none",
      ...job(
        c,
        "rollback",
        ["contents: read", "deployments: write"],
        [
          "      environment: ${{ inputs.environment }}",
          "      sha: ${{ inputs.sha }}",
          "      database: ${{ inputs.database }}",
        ],
        environmentSecrets,
      ),
    ]),
  };
}
