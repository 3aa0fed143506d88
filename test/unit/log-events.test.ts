import { describe, expect, it } from "vitest";
import { LineSplitter, parseLine } from "../../src/release/log-events.js";

describe("parseLine", () => {
  it.each([
    [
      "2026-01-01T00:00:00Z [pull] pulling backend",
      { kind: "line", text: "2026-01-01T00:00:00Z [pull] pulling backend" },
    ],
    ['@@berth {"event":"phase-start","phase":"backup","time":"t"}', { kind: "phase-start", phase: "backup" }],
    [
      '@@berth {"event":"phase-end","phase":"migrate","status":"failed","seconds":0.41,"exitCode":1}',
      { kind: "phase-end", phase: "migrate", status: "failed", seconds: 0.41, exitCode: 1 },
    ],
    [
      '@@berth {"event":"result","result":"succeeded","sha":"x"}',
      { kind: "result", result: { result: "succeeded", sha: "x" } },
    ],
    ["@@berth not json", { kind: "line", text: "@@berth not json" }],
    ['@@berth {"event":"other"}', { kind: "line", text: '@@berth {"event":"other"}' }],
  ])("%s", (line, expected) => {
    expect(parseLine(line)).toEqual(expected);
  });
});

describe("LineSplitter", () => {
  it("joins lines split across chunks and counts every byte", () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    for (const c of ["ab", "c\nde", "f\n\ng", "hé\n"]) s.push(Buffer.from(c));
    expect(lines).toEqual(["abc", "def", "", "ghé"]);
    expect(s.bytes).toBe(Buffer.byteLength("abc\ndef\n\nghé\n"));
  });

  it("keeps a multi-byte character split across chunks intact", () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from("é\n");
    s.push(bytes.subarray(0, 1));
    s.push(bytes.subarray(1));
    expect(lines).toEqual(["é"]);
  });
});
