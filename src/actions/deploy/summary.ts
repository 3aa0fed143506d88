import type { DeployReport } from "../../deploy/deploy.js";

/** The deploy step summary: outcome, per-phase seconds, images, uploaded files. Pure. */
export function deploySummary(environment: string, r: DeployReport): string {
  const phases = Object.entries(r.phases).map(([p, s]) => `| ${p} | ${s} |`);
  const images = Object.entries(r.images).map(([svc, i]) => `| ${svc} | \`${i.ref}\` |`);
  const files = r.uploaded.map((f) => `| \`${f.path}\` | ${f.bytes} | \`${f.sha256.slice(0, 16)}…\` |`);
  return [
    `### berth deploy to ${environment}: ${r.result}`,
    "",
    `SHA \`${r.sha}\`${r.previousSha ? ` (previous \`${r.previousSha}\`)` : ""}, ${r.durationSeconds} s`,
    "",
    "| phase | seconds |",
    "| --- | --- |",
    ...phases,
    "",
    "| service | image |",
    "| --- | --- |",
    ...images,
    "",
    "<details><summary>uploaded files</summary>",
    "",
    "| file | bytes | sha256 |",
    "| --- | --- | --- |",
    ...files,
    "",
    "</details>",
    "",
  ].join("\n");
}
