/**
 * `berth check` on the repository's caller workflows: every job that `uses:` one of
 * berth's reusable workflows passes only the inputs and secrets that workflow declares,
 * all it requires, berth pinned by one full SHA, a config that exists and environments
 * berth.yml defines — and the deploy secrets in a way GitHub delivers them to berth's
 * jobs: under their own names (BERTH_SSH_PRIVATE_KEY, …), which a job running in a
 * GitHub environment reads from that environment, or `secrets: inherit` within one
 * organization. Pure: the caller reads the files.
 */
import { parse } from "yaml";
import { type Finding, finding } from "./findings.js";
import type { ReusableWorkflow } from "./home.js";

export interface CallerContext {
  readonly reusable: readonly ReusableWorkflow[];
  /** berth.yml environments. */
  readonly environments: readonly string[];
  /** Does this repository-relative path exist? (the config input names one) */
  readonly exists: (repoPath: string) => boolean;
  /** The checked berth.yml, repository-relative: the fix for a config input that names nothing. */
  readonly configPath: string;
  /** This repository's GitHub owner/name (its origin), when known. */
  readonly repository?: string | undefined;
}

export interface CallerReport {
  readonly findings: Finding[];
  /** Advice that is not an error: a deprecated way that still works. */
  readonly notes: string[];
  /** One line per caller job found: file, job and the reusable workflow it calls. */
  readonly calls: { readonly file: string; readonly job: string; readonly workflow: string }[];
}

const USES = /^([A-Za-z0-9_.-]+\/([A-Za-z0-9_.-]+))\/\.github\/workflows\/([^@/]+)@(.+)$/;
const isExpr = (v: unknown) => typeof v === "string" && v.includes("${{");
const ENV_INPUTS = ["environment", "from", "to"];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

export function checkCallers(
  files: readonly { file: string; text: string }[],
  ctx: CallerContext,
): CallerReport {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const calls: CallerReport["calls"] = [];
  for (const { file, text } of files) {
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (e) {
      findings.push(
        finding(file, "", "", `is not valid YAML (${(e as Error).message.split("\n")[0]}); fix the syntax`),
      );
      continue;
    }
    const jobs = isObj(doc) && isObj(doc.jobs) ? doc.jobs : {};
    const workflowPermissions = isObj(doc) ? doc.permissions : undefined;
    for (const [job, def] of Object.entries(jobs)) {
      if (!isObj(def) || typeof def.uses !== "string") continue;
      const m = USES.exec(def.uses);
      const wf = m && ctx.reusable.find((r) => r.file === m[3]);
      const with_ = isObj(def.with) ? def.with : {};
      // Only berth's workflows: a repository named berth, or a call that passes berth-ref
      // or berth's deploy key by name.
      const named =
        m?.[2] === "berth" || "berth-ref" in with_ || (isObj(def.secrets) && SSH_KEY[0] in def.secrets);
      if (!m || !wf || !named) continue;
      calls.push({ file, job, workflow: wf.file });
      const at = `jobs.${job}`;
      findings.push(...checkCall(file, at, def, with_, m, wf, ctx));
      findings.push(
        ...(def.permissions !== undefined
          ? checkPermissions(file, `${at}.permissions`, def.permissions, wf)
          : checkPermissions(file, "permissions", workflowPermissions, wf)),
      );
      notes.push(...callNotes(file, at, def, with_));
    }
  }
  return { findings, notes, calls };
}

/**
 * The caller's permissions (the job's, else the workflow's) must include what berth's
 * jobs ask for, or GitHub refuses to start the run. Unset: the repository's default
 * applies, which berth cannot see.
 */
function checkPermissions(file: string, field: string, given: unknown, wf: ReusableWorkflow): Finding[] {
  if (given === undefined || given === null) return [];
  const grants = (scope: string, level: "read" | "write") => {
    if (given === "write-all") return true;
    if (given === "read-all") return level === "read";
    if (!isObj(given)) return false;
    const g = given[scope];
    return g === "write" || (g === "read" && level === "read");
  };
  return Object.entries(wf.permissions)
    .filter(([scope, level]) => !grants(scope, level))
    .map(([scope, level]) =>
      finding(
        file,
        `${field}.${scope}`,
        isObj(given) ? given[scope] : given,
        `must be ${level}: berth's ${wf.file} asks for ${scope}: ${level}${scope === "deployments" ? " (it records a GitHub deployment)" : ""}, and GitHub refuses to start a called workflow that asks for more than its caller grants; add ${scope}: ${level} to the job's permissions`,
      ),
    );
}

/** [the per-environment name, the deprecated one] of each deploy secret. */
const SSH_KEY = ["BERTH_SSH_PRIVATE_KEY", "ssh-private-key"] as const;
const DEPLOY_SECRETS = [SSH_KEY, ["BERTH_SSH_KNOWN_HOSTS", "ssh-known-hosts"]] as const;
const LEGACY = ["ssh-private-key", "ssh-known-hosts", "registry-password"];
const ENV_SECRETS = ["BERTH_SSH_PRIVATE_KEY", "BERTH_SSH_KNOWN_HOSTS", "BERTH_REGISTRY_TOKEN"];
const mapping = (names: readonly string[]) => names.map((n) => `${n}: \${{ secrets.${n} }}`).join(", ");

function callNotes(file: string, at: string, def: Obj, with_: Obj): string[] {
  const out: string[] = [];
  const legacy = isObj(def.secrets) ? LEGACY.filter((k) => k in (def.secrets as Obj)) : [];
  if (legacy.length > 0) {
    out.push(
      `${file}: ${at}.secrets: ${legacy.join(", ")} still work, but are one key for every environment; pass ${mapping(ENV_SECRETS)} instead and create them per GitHub environment (docs/ops/bootstrap.md)`,
    );
  }
  if (typeof with_["berth-ref"] === "string") {
    out.push(
      `${file}: ${at}.with.berth-ref: not needed (berth's jobs read their own commit from job.workflow_sha); remove it unless you run GitHub Enterprise Server`,
    );
  }
  return out;
}

function checkCall(
  file: string,
  at: string,
  def: Obj,
  with_: Obj,
  uses: RegExpExecArray,
  wf: ReusableWorkflow,
  ctx: CallerContext,
): Finding[] {
  const ref = uses[4] ?? "";
  const out = declaredKeys(file, `${at}.with`, with_, wf.inputs, {
    what: "an input",
    workflow: wf.file,
    add: (k) => `${k}: to with:`,
  });
  out.push(...checkSecrets(file, at, def.secrets, wf, uses[1] ?? "", ctx));
  if (!/^[0-9a-f]{40}$/.test(ref)) {
    out.push(
      finding(
        file,
        `${at}.uses`,
        def.uses,
        "does not pin berth by a full 40-hex commit SHA; use @<sha> (`berth init` writes it)",
      ),
    );
  }
  const berthRef = with_["berth-ref"];
  if (typeof berthRef === "string" && !isExpr(berthRef) && berthRef !== ref) {
    out.push(
      finding(
        file,
        `${at}.with.berth-ref`,
        berthRef,
        `differs from the commit in uses: (${ref}); pin the same SHA in both`,
      ),
    );
  }
  const berthRepository = with_["berth-repository"];
  if (
    typeof berthRepository === "string" &&
    berthRepository !== "" &&
    !isExpr(berthRepository) &&
    berthRepository.toLowerCase() !== (uses[1] ?? "").toLowerCase()
  ) {
    out.push(
      finding(
        file,
        `${at}.with.berth-repository`,
        berthRepository,
        `is not the repository in uses: (${uses[1]}); berth refuses to run another repository's actions: remove berth-repository`,
      ),
    );
  }
  const config = with_.config ?? wf.inputs.config?.default;
  if (typeof config === "string" && !isExpr(config) && !ctx.exists(config)) {
    const given = "config" in with_ ? "" : " (the default)";
    out.push(
      finding(
        file,
        `${at}.with.config`,
        config,
        `names no file in the repository${given}; pass config: ${ctx.configPath}`,
      ),
    );
  }
  for (const k of ENV_INPUTS) {
    const v = with_[k];
    if (k in wf.inputs && typeof v === "string" && !isExpr(v) && !ctx.environments.includes(v)) {
      out.push(
        finding(
          file,
          `${at}.with.${k}`,
          v,
          `is not an environment in berth.yml (${ctx.environments.join(", ")}); use one of those`,
        ),
      );
    }
  }
  return out;
}

/**
 * A caller's `with:` or `secrets:` against what berth's workflow declares: every key it
 * passes must be declared, and every required one (without a default) passed.
 */
function declaredKeys(
  file: string,
  at: string,
  given: Obj,
  declared: Readonly<Record<string, { readonly required: boolean; readonly default?: string }>>,
  say: { readonly what: string; readonly workflow: string; readonly add: (key: string) => string },
): Finding[] {
  const names = Object.keys(declared);
  const unknown = Object.entries(given)
    .filter(([k]) => !(k in declared))
    .map(([k, v]) =>
      finding(
        file,
        `${at}.${k}`,
        v,
        `is not ${say.what} of berth's ${say.workflow} (it takes: ${names.join(", ")}); remove it or use one of those names`,
      ),
    );
  const missing = Object.entries(declared)
    .filter(([k, spec]) => spec.required && spec.default === undefined && !(k in given))
    .map(([k]) =>
      finding(file, `${at}.${k}`, undefined, `is required by berth's ${say.workflow}; add ${say.add(k)}`),
    );
  return [...unknown, ...missing];
}

function checkSecrets(
  file: string,
  at: string,
  secrets: unknown,
  wf: ReusableWorkflow,
  berthRepository: string,
  ctx: CallerContext,
): Finding[] {
  const wanted = DEPLOY_SECRETS.filter(([name]) => name in wf.secrets);
  if (secrets === "inherit") {
    // GitHub: "The inherit keyword can be used to pass secrets across repositories within
    // the same organization, or across organizations within the same enterprise."
    // (Workflow syntax, jobs.<job_id>.secrets.inherit.) Across owners, only by name.
    const owner = (slug: string) => slug.split("/")[0]?.toLowerCase();
    return ctx.repository !== undefined && owner(ctx.repository) !== owner(berthRepository)
      ? [
          finding(
            file,
            `${at}.secrets`,
            "inherit",
            `passes nothing to ${berthRepository}: GitHub's secrets: inherit works only within one organization or enterprise, and this repository is ${ctx.repository}; pass the secrets by name: ${mapping(ENV_SECRETS)}`,
          ),
        ]
      : [];
  }
  if (!isObj(secrets)) {
    return wanted.length === 0
      ? []
      : [
          finding(
            file,
            `${at}.secrets`,
            undefined,
            `passes no secrets, so berth's jobs get none (a called workflow sees only what its caller passes, even from the environment it runs in); add secrets: ${mapping(ENV_SECRETS)}, created per GitHub environment (docs/ops/bootstrap.md)`,
          ),
        ];
  }
  // A secret's value is an expression, never shown: the finding names the key.
  const named = Object.fromEntries(Object.keys(secrets).map((k) => [k, k]));
  const out = declaredKeys(file, `${at}.secrets`, named, wf.secrets, {
    what: "a secret",
    workflow: wf.file,
    add: (k) => `${k}: \${{ secrets.<NAME> }} to secrets:`,
  });
  for (const [name, legacy] of wanted) {
    if (!(name in secrets) && !(legacy in secrets)) {
      out.push(
        finding(
          file,
          `${at}.secrets.${name}`,
          undefined,
          `is not passed, so berth's jobs cannot reach the server; add ${name}: \${{ secrets.${name} }} (a secret of each GitHub environment: berth's job reads the one of the environment it runs in)`,
        ),
      );
    }
  }
  return out;
}
