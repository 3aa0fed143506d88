/**
 * `berth check` on the repository's caller workflows: every job that `uses:` one of
 * berth's reusable workflows passes only the inputs and secrets that workflow declares,
 * all it requires, berth pinned by one full SHA, a config that exists and environments
 * berth.yml defines. Pure: the caller reads the files.
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
}

export interface CallerReport {
  readonly findings: Finding[];
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
    for (const [job, def] of Object.entries(jobs)) {
      if (!isObj(def) || typeof def.uses !== "string") continue;
      const m = USES.exec(def.uses);
      const wf = m && ctx.reusable.find((r) => r.file === m[3]);
      const with_ = isObj(def.with) ? def.with : {};
      // Only berth's workflows: a repository named berth, or a call that pins berth-ref.
      if (!m || !wf || (m[2] !== "berth" && !("berth-ref" in with_))) continue;
      calls.push({ file, job, workflow: wf.file });
      findings.push(...checkCall(file, `jobs.${job}`, def, with_, m[4] ?? "", wf, ctx));
    }
  }
  return { findings, calls };
}

function checkCall(
  file: string,
  at: string,
  def: Obj,
  with_: Obj,
  ref: string,
  wf: ReusableWorkflow,
  ctx: CallerContext,
): Finding[] {
  const out: Finding[] = [];
  const declared = Object.keys(wf.inputs);
  for (const [k, v] of Object.entries(with_)) {
    if (!(k in wf.inputs)) {
      out.push(
        finding(
          file,
          `${at}.with.${k}`,
          v,
          `is not an input of berth's ${wf.file} (it takes: ${declared.join(", ")}); remove it or use one of those names`,
        ),
      );
    }
  }
  for (const [k, spec] of Object.entries(wf.inputs)) {
    if (spec.required && spec.default === undefined && !(k in with_)) {
      out.push(
        finding(file, `${at}.with.${k}`, undefined, `is required by berth's ${wf.file}; add ${k}: to with:`),
      );
    }
  }
  out.push(...checkSecrets(file, at, def.secrets, wf));
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

function checkSecrets(file: string, at: string, secrets: unknown, wf: ReusableWorkflow): Finding[] {
  const names = Object.keys(wf.secrets);
  if (secrets === "inherit") {
    // GitHub secret names cannot hold "-": inherit can never fill ssh-private-key.
    const dashed = names.filter((n) => n.includes("-") && wf.secrets[n]?.required);
    return dashed.length === 0
      ? []
      : [
          finding(
            file,
            `${at}.secrets`,
            "inherit",
            `cannot pass ${dashed.join(", ")} (repository secret names have no "-"); map each, e.g. ssh-private-key: \${{ secrets.BERTH_SSH_PRIVATE_KEY }}`,
          ),
        ];
  }
  const given = isObj(secrets) ? secrets : {};
  const out: Finding[] = [];
  for (const k of Object.keys(given)) {
    if (!(k in wf.secrets)) {
      out.push(
        finding(
          file,
          `${at}.secrets.${k}`,
          k,
          `is not a secret of berth's ${wf.file} (it takes: ${names.join(", ")}); remove it or use one of those names`,
        ),
      );
    }
  }
  for (const [k, spec] of Object.entries(wf.secrets)) {
    if (spec.required && !(k in given)) {
      out.push(
        finding(
          file,
          `${at}.secrets.${k}`,
          undefined,
          `is required by berth's ${wf.file}; add ${k}: \${{ secrets.<NAME> }} to secrets:`,
        ),
      );
    }
  }
  return out;
}
