import type { ImageResult } from "../../build/build-push.js";

/** The step-summary table: one row per service. Pure, so it is tested as text. */
export function imagesSummary(sha: string, images: Record<string, ImageResult>): string {
  const rows = Object.entries(images).map(
    ([service, i]) => `| ${service} | \`${i.repo}\` | ${i.status} | \`${i.digest}\` |`,
  );
  return [
    `### berth build-push \`${sha.slice(0, 12)}\``,
    "",
    "| service | repository | status | digest |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}
