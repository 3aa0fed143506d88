/**
 * releases.log: one JSON object per line, appended by `berth` on the server. Pure
 * parsing, tolerant of torn lines (a crash or a full disk mid-append) but strict about
 * content.
 */
import { z } from "zod";
import { ConfigError } from "../config/errors.js";
import { type Images, parseImageRef } from "./images.js";

// Each field tolerant: a value of another type (an older or newer berth's line) reads as
// absent rather than rejecting the whole line.
const text = z.string().optional().catch(undefined);
const textOrNull = z.string().nullable().optional().catch(undefined);

/**
 * One ledger line as `record_run` writes it (vps-scripts/lib/record.sh, docs/design.md
 * §4): the common fields, then the kind's own (deploy: mode, slot, pathWhy, rehearsal;
 * rollback: from, database; …). The runner reads it in two places with this one schema:
 * releases.log (parseLedger, promotion) and a run's `result` marker (the deploy and
 * rollback reports). Other fields are kept as they are.
 */
export const ledgerEntry = z.looseObject({
  time: text,
  env: text,
  /** deploy when absent (lines written before kinds existed). */
  kind: text,
  sha: text,
  previousSha: text,
  /** service → repo:sha@digest; refs that are not strings are dropped. */
  images: z
    .record(z.string(), z.unknown())
    .transform((o) =>
      Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === "string")),
    )
    .optional()
    .catch(undefined),
  actor: text,
  runUrl: text,
  runId: text,
  result: text,
  phase: text,
  durations: z.record(z.string(), z.number()).optional().catch(undefined),
  totalSeconds: z.number().optional().catch(undefined),
  backup: textOrNull,
  migrated: z.boolean().optional().catch(undefined),
  mode: text,
  slot: text,
  pathWhy: textOrNull,
  rehearsal: z
    .object({
      result: z.string(),
      why: z.string().optional().catch(undefined),
      seconds: z.number().nullable().optional().catch(null),
    })
    .nullable()
    .optional()
    .catch(undefined),
  /** rollback: the release it rolled back from. */
  from: text,
});
export type LedgerEntry = z.output<typeof ledgerEntry>;

/** A ledger line read from an object (a run's result marker): undefined when it is none. */
export function readLedgerEntry(o: unknown): LedgerEntry | undefined {
  const r = ledgerEntry.safeParse(o);
  return r.success ? r.data : undefined;
}

/** A releases.log line the runner can use: one with its SHA and result. */
export type LedgerLine = LedgerEntry & {
  readonly sha: string;
  readonly result: string;
  readonly images: Readonly<Record<string, string>>;
};

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
 * as the server's `ledger_lines` does; blank lines are skipped quietly, and so are lines
 * without a SHA or result.
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
    const entry = readLedgerEntry(o);
    if (entry?.sha === undefined || entry.result === undefined) continue;
    lines.push({ ...entry, sha: entry.sha, result: entry.result, images: entry.images ?? {} });
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
        ((l.kind ?? "deploy") === "deploy" && l.result === "succeeded") ||
        (l.kind === "rollback" && l.result === "rolled_back"),
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
  const latest = [...lines].reverse().find((l) => l.sha === sha && (l.kind ?? "deploy") === "deploy");
  if (!latest) {
    throw new ConfigError(
      `promote: ${sha} was never deployed to ${from}; deploy it to ${from} first (promotion ships only what ${from} ran)`,
    );
  }
  if (latest.result !== "succeeded") {
    throw new ConfigError(
      `promote: the latest ${from} deploy of ${sha} ${latest.result}${latest.phase ? ` in phase ${latest.phase}` : ""} (${latest.time ?? ""}); fix it and deploy it to ${from} again before promoting`,
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
