import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { quote, render } from "../../src/remote/render.js";

describe("quote", () => {
  it.each([
    ["plain", "plain"],
    ["/opt/app/bin/berth", "/opt/app/bin/berth"],
    ["", "''"],
    ["a b", "'a b'"],
    ["it's", `'it'\\''s'`],
    ["$(touch /tmp/x)", "'$(touch /tmp/x)'"],
    ["`id`", "'`id`'"],
    ["a;b", "'a;b'"],
    ["a\nb", "'a\nb'"],
    ["*", "'*'"],
    ["~root", "'~root'"],
    ["--flag=x", "--flag=x"],
  ])("%j → %s", (arg, expected) => {
    expect(quote(arg)).toBe(expected);
  });

  it("refuses NUL", () => {
    expect(() => quote("a\0b")).toThrow(/NUL/);
  });
});

describe("render", () => {
  it("joins quoted words", () => {
    expect(render(["berth", "deploy", "staging", "a b"])).toBe("berth deploy staging 'a b'");
    expect(render({ argv: ["echo", "$HOME"] })).toBe("echo '$HOME'");
  });

  it("refuses an empty command", () => {
    expect(() => render([])).toThrow(/empty/);
  });

  // The real proof: a POSIX shell receives exactly the words we meant, hostile or not.
  it("round-trips hostile words through a real sh", () => {
    const words = [
      "$(id)",
      "`id`",
      "a'b",
      'a"b',
      "a\\b",
      "a\nb\tc",
      "; rm -rf /",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile word that must stay literal
      "${HOME}",
      "*",
      "-n",
      "",
      " ",
    ];
    const out = execFileSync("sh", ["-c", `printf '%s\\0' ${render(words)}`]).toString();
    expect(out.split("\0").slice(0, -1)).toEqual(words);
  });
});
