import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import {
  parseLedger,
  promotableImages,
  promotableRelease,
  readLedgerEntry,
  servingRelease,
} from "../../src/release/ledger.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const D = `sha256:${"c".repeat(64)}`;
const line = (sha: string, result: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    time: "2026-11-22T10:00:00Z",
    env: "staging",
    sha,
    result,
    images: { backend: `r.example/app/backend:${sha}@${D}` },
    ...extra,
  });

describe("ledger", () => {
  it("parses lines and skips a torn last line", () => {
    const text = `${line(A, "succeeded")}\n${line(B, "failed", { phase: "migrate" })}\n{"sha":"tor`;
    expect(parseLedger(text).map((l) => [l.sha, l.result, l.phase])).toEqual([
      [A, "succeeded", undefined],
      [B, "failed", "migrate"],
    ]);
  });

  it("skips every torn line with a warning naming it, and keeps the lines appended after it", () => {
    const warnings: string[] = [];
    const text = [
      line(A, "succeeded"),
      '{"time":"2026-11-22T1',
      "",
      line(B, "succeeded"),
      "\0\0\0",
      "[1]",
    ].join("\n");
    const lines = parseLedger(text, (m) => warnings.push(m));
    expect(lines.map((l) => l.sha)).toEqual([A, B]);
    expect(warnings).toEqual([
      "releases.log line 2 is not a JSON object (torn by a crash or a full disk?): skipped",
      "releases.log line 5 is not a JSON object (torn by a crash or a full disk?): skipped",
      "releases.log line 6 is not a JSON object (torn by a crash or a full disk?): skipped",
    ]);
    // Promotion reads past the torn line to the newest deploy of the SHA.
    expect(promotableImages(lines, B, "staging").backend?.tag).toBe(B);
  });

  it("promotes the digests of the latest successful deploy of the SHA", () => {
    const lines = parseLedger([line(A, "failed", { phase: "ready" }), line(A, "succeeded")].join("\n"));
    expect(promotableImages(lines, A, "staging")).toEqual({
      backend: { repo: "r.example/app/backend", tag: A, digest: D, ref: `r.example/app/backend:${A}@${D}` },
    });
  });

  it("looks past rollback lines to the SHA's latest deploy", () => {
    const lines = parseLedger(
      [
        line(A, "succeeded", { kind: "deploy" }),
        line(B, "succeeded", { kind: "deploy" }),
        line(A, "rolled_back", { kind: "rollback" }),
      ].join("\n"),
    );
    expect(promotableImages(lines, A, "staging").backend?.digest).toBe(D);
  });

  it.each([
    ["never deployed there", [line(B, "succeeded")], `promote: ${A} was never deployed to staging`],
    [
      "only ever rolled back to",
      [line(A, "rolled_back", { kind: "rollback" })],
      `promote: ${A} was never deployed to staging`,
    ],
    [
      "whose latest deploy failed",
      [line(A, "succeeded"), line(A, "failed", { phase: "migrate" })],
      "the latest staging deploy of",
    ],
    [
      "that staging rolled back away from",
      [line(B, "succeeded"), line(A, "succeeded"), line(B, "rolled_back", { kind: "rollback" })],
      `promote: ${A} is not what staging serves now (${B}`,
    ],
    [
      "that staging has moved on from",
      [line(A, "succeeded"), line(B, "succeeded")],
      `promote: ${A} is not what staging serves now (${B}`,
    ],
    [
      "with an image not pinned by digest",
      [line(A, "succeeded", { images: { backend: "r.example/app/backend:latest" } })],
      "unpinned image for backend",
    ],
  ])("refuses a SHA %s", (_, lines, expected) => {
    expect(() => promotableImages(parseLedger(lines.join("\n")), A, "staging")).toThrow(ConfigError);
    expect(() => promotableImages(parseLedger(lines.join("\n")), A, "staging")).toThrow(expected);
  });

  it.each([
    ["the last successful deploy", [line(A, "succeeded"), line(B, "succeeded"), line(A, "failed")], B],
    [
      "the release a rollback put back",
      [line(A, "succeeded"), line(B, "succeeded"), line(A, "rolled_back", { kind: "rollback" })],
      A,
    ],
    ["nothing, when no deploy ever succeeded", [line(A, "failed"), line(B, "refused")], undefined],
  ])("serves %s", (_, lines, sha) => {
    expect(servingRelease(parseLedger(lines.join("\n")))?.sha).toBe(sha);
  });

  it("promotes the source's current release when no SHA is given, and refuses when it serves none", () => {
    const lines = parseLedger([line(A, "succeeded"), line(B, "succeeded")].join("\n"));
    expect(promotableRelease(lines, undefined, "staging").sha).toBe(B);
    expect(promotableRelease(lines, B, "staging").images.backend?.tag).toBe(B);
    expect(() => promotableRelease(lines, A, "staging")).toThrow(
      `promote: ${A} is not what staging serves now`,
    );
    expect(() => promotableRelease(parseLedger(line(A, "failed")), undefined, "staging")).toThrow(
      "promote: staging serves no release yet",
    );
  });
});

describe("one ledger line type for releases.log and a run's result marker", () => {
  it("reads the fields record_run writes, keeps the kind's own, and drops values of the wrong type", () => {
    const entry = readLedgerEntry({
      time: "2026-11-22T10:00:00Z",
      env: "staging",
      kind: "deploy",
      sha: A,
      previousSha: B,
      images: { backend: `r.example/app/backend:${A}@${D}`, broken: 7 },
      result: "failed",
      phase: "ready",
      durations: { preflight: 1.2 },
      totalSeconds: 9.5,
      backup: null,
      mode: "swap",
      pathWhy: null,
      rehearsal: { result: "unchanged", why: 3, seconds: null },
      slot: "b",
      somethingNewer: { x: 1 },
      migrated: "no",
    });
    expect(entry).toEqual({
      time: "2026-11-22T10:00:00Z",
      env: "staging",
      kind: "deploy",
      sha: A,
      previousSha: B,
      images: { backend: `r.example/app/backend:${A}@${D}` },
      result: "failed",
      phase: "ready",
      durations: { preflight: 1.2 },
      totalSeconds: 9.5,
      backup: null,
      mode: "swap",
      pathWhy: null,
      rehearsal: { result: "unchanged", why: undefined, seconds: null },
      slot: "b",
      somethingNewer: { x: 1 },
      migrated: undefined,
    });
    expect(readLedgerEntry(undefined)).toBeUndefined();
    expect(readLedgerEntry({ sha: 7 })).toEqual({ sha: undefined });
  });

  it("parseLedger skips lines without a SHA or result and defaults their images", () => {
    const lines = parseLedger(
      [JSON.stringify({ sha: A }), JSON.stringify({ sha: A, result: "succeeded" })].join("\n"),
    );
    expect(lines).toEqual([{ sha: A, result: "succeeded", images: {} }]);
  });
});
