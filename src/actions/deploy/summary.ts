import type { DeployReport } from "../../deploy/deploy.js";

/**
 * The deploy step summary: outcome, which SHA and why (given, or the promotion source's
 * current release), per-phase seconds, images, uploaded files. Pure.
 */
export function deploySummary(environment: string, r: DeployReport): string {
  const images = Object.entries(r.images).map(([svc, i]) => `| ${svc} | \`${i.ref}\` |`);
  const from = r.promotedFrom;
  const which =
    from === undefined
      ? ""
      : r.shaFrom === "source-current"
        ? ` — ${from}'s current release (no sha was given), promoted with the digests ${from} ran`
        : ` — promoted with the digests ${from} ran`;
  const heading = r.dryRun
    ? `### berth deploy to ${environment}: dry run, nothing deployed`
    : `### berth deploy to ${environment}: ${r.result}`;
  const ran = r.dryRun
    ? []
    : [
        "| phase | seconds |",
        "| --- | --- |",
        ...Object.entries(r.phases).map(([p, s]) => `| ${p} | ${s} |`),
        "",
      ];
  const uploaded = r.dryRun
    ? []
    : [
        "<details><summary>uploaded files</summary>",
        "",
        "| file | bytes | sha256 |",
        "| --- | --- | --- |",
        ...r.uploaded.map((f) => `| \`${f.path}\` | ${f.bytes} | \`${f.sha256.slice(0, 16)}…\` |`),
        "",
        "</details>",
        "",
      ];
  const path = r.path
    ? [
        r.path.mode === "swap"
          ? "Path: **swap** — the new release started beside the old one and nginx switched to it; no maintenance page."
          : `Path: **maintenance** — a planned window${r.path.why ? `: ${r.path.why}` : ""}.`,
        ...(r.path.rehearsal
          ? [
              `Rehearsal: ${r.path.rehearsal.result}${r.path.rehearsal.seconds === null ? "" : ` in ${r.path.rehearsal.seconds} s`}${r.path.rehearsal.why ? ` (${r.path.rehearsal.why})` : ""}.`,
            ]
          : []),
        "",
      ]
    : [];
  return [
    heading,
    "",
    `SHA \`${r.sha}\`${which}${r.previousSha ? ` (previous \`${r.previousSha}\`)` : ""}, ${r.durationSeconds} s`,
    "",
    ...path,
    ...ran,
    "| service | image |",
    "| --- | --- |",
    ...images,
    "",
    ...uploaded,
  ].join("\n");
}
