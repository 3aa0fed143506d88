/**
 * releases.log: one JSON object per line, appended by `berth` on the server. Pure
 * parsing, tolerant of torn lines (a crash or a full disk mid-append) but strict about
 * content.
 */
import { ConfigError } from "../config/errors.js";
import { type Images, parseImageRef } from "./images.js";

export interface LedgerLine {
  readonly time: string;
  readonly env: string;
  readonly sha: string;
  readonly result: string;
  readonly phase: string | undefined;
  readonly images: Readonly<Record<string, string>>;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A ledger line that is a JSON object, or undefined for a torn line. */
function jsonObject(line: string): Record<string, unknown> | undefined {
  try {
    const o: unknown = JSON.parse(line);
    return o !== null && typeof o === "object" && !Array.isArray(o)
      ? (o as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The ledger's runs, oldest first. A line that is not a JSON object (torn by a crash or
 * a full disk mid-append) is skipped and reported through `warn` with its line number,
 * as the server's `ledger_lines` does; blank lines are skipped quietly.
 */
export function parseLedger(text: string, warn: (message: string) => void = () => {}): LedgerLine[] {
  const lines: LedgerLine[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    const o = jsonObject(line);
    if (!o) {
      warn(`releases.log line ${i + 1} is not a JSON object (torn by a crash or a full disk?): skipped`);
      continue;
    }
    if (typeof o.sha !== "string" || typeof o.result !== "string") continue;
    const images: Record<string, string> = {};
    if (o.images && typeof o.images === "object") {
      for (const [k, v] of Object.entries(o.images as Record<string, unknown>))
        if (typeof v === "string") images[k] = v;
    }
    lines.push({
      time: typeof o.time === "string" ? o.time : "",
      env: typeof o.env === "string" ? o.env : "",
      sha: o.sha,
      result: o.result,
      phase: typeof o.phase === "string" ? o.phase : undefined,
      images,
      raw: o,
    });
  }
  return lines;
}

/**
 * What the environment serves now: its last deploy that succeeded, or rollback that took
 * over, whichever is newer; undefined when nothing ever served.
 */
export function servingRelease(lines: readonly LedgerLine[]): LedgerLine | undefined {
  return [...lines]
    .reverse()
    .find(
      (l) =>
        ((l.raw.kind ?? "deploy") === "deploy" && l.result === "succeeded") ||
        (l.raw.kind === "rollback" && l.result === "rolled_back"),
    );
}

/**
 * The release a promotion ships: `sha` when given, else what the source serves now
 * (its current release); either way it must pass `promotableImages`.
 */
export function promotableRelease(
  lines: readonly LedgerLine[],
  sha: string | undefined,
  from: string,
): { readonly sha: string; readonly images: Images } {
  const resolved = sha ?? servingRelease(lines)?.sha;
  if (resolved === undefined) {
    throw new ConfigError(
      `promote: ${from} serves no release yet (its ledger has no successful deploy); deploy to ${from} first, then promote`,
    );
  }
  return { sha: resolved, images: promotableImages(lines, resolved, from) };
}

/**
 * The images to promote: those of the LATEST ledger line for `sha` in the source
 * environment, which must have succeeded there, and `sha` must be what the source
 * serves now (a rollback away from it, or a newer deploy, refuses the promotion).
 */
export function promotableImages(lines: readonly LedgerLine[], sha: string, from: string): Images {
  // Deploys only: a rollback line says the release was served again, not that it was deployed.
  const latest = [...lines].reverse().find((l) => l.sha === sha && (l.raw.kind ?? "deploy") === "deploy");
  if (!latest) {
    throw new ConfigError(
      `promote: ${sha} was never deployed to ${from}; deploy it to ${from} first (promotion ships only what ${from} ran)`,
    );
  }
  if (latest.result !== "succeeded") {
    throw new ConfigError(
      `promote: the latest ${from} deploy of ${sha} ${latest.result}${latest.phase ? ` in phase ${latest.phase}` : ""} (${latest.time}); fix it and deploy it to ${from} again before promoting`,
    );
  }
  const serving = servingRelease(lines);
  if (serving?.sha !== sha) {
    throw new ConfigError(
      `promote: ${sha} is not what ${from} serves now (${serving?.sha ?? "nothing"}, since ${serving?.time ?? "?"}): ${from} rolled back from it or moved on; promote only ${from}'s current release`,
    );
  }
  const images: Images = {};
  for (const [service, ref] of Object.entries(latest.images)) {
    const image = parseImageRef(ref);
    if (image?.tag !== sha) {
      throw new ConfigError(
        `promote: ${from}'s ledger has an unpinned image for ${service} (${JSON.stringify(ref)})`,
      );
    }
    images[service] = image;
  }
  return images;
}
