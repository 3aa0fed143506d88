/**
 * How `berth init` gets the values it cannot detect: a flag first, then what it
 * detected, then the terminal. With --yes (or no terminal) it takes the defaults and
 * collects every question that has none, so init can refuse naming all of them at once.
 */
import type { z } from "zod";
import type { CliIo } from "./io.js";

export interface Question {
  /** Its key in the flags (e.g. "host", "build-arg BASE_IMAGE"). */
  readonly key: string;
  /** How to answer it on the command line, e.g. --host vps.example.com. */
  readonly usage: string;
  readonly prompt: string;
  /** Found in the repository: used without asking. */
  readonly detected?: string | undefined;
  /** Offered when asking; taken with --yes. */
  readonly default?: string | undefined;
  /** An example answer, returned as a placeholder while collecting what is missing. */
  readonly example: string;
  /** Validates and normalizes an answer; returns an error message on a bad one. */
  readonly check?: (answer: string) => string | { value: string };
}

/** A question's check from a zod field of src/config/fields.ts. */
export const byField =
  (schema: z.ZodType<unknown>) =>
  (answer: string): string | { value: string } => {
    const r = schema.safeParse(answer);
    return r.success ? { value: answer } : (r.error.issues[0]?.message ?? "is not valid");
  };

export class Asker {
  /** Questions with no answer (--yes or no terminal). */
  readonly missing: Question[] = [];
  /** Answers that were refused: "--flag value: message". */
  readonly errors: string[] = [];

  constructor(
    private readonly io: CliIo,
    private readonly flags: Readonly<Record<string, string | undefined>>,
    private readonly interactive: boolean,
  ) {}

  /** True when the flags answer `key`. */
  has(key: string): boolean {
    return this.flags[key] !== undefined;
  }

  /** True when it may ask the terminal (else an undetected value falls back to its default: a guess). */
  get asks(): boolean {
    return this.interactive;
  }

  async ask(q: Question): Promise<string> {
    const flag = this.flags[q.key];
    if (flag !== undefined) {
      const r = q.check ? q.check(flag) : { value: flag };
      if (typeof r === "string") this.errors.push(`--${q.key.split(" ")[0]} ${JSON.stringify(flag)} ${r}`);
      return typeof r === "string" ? flag : r.value;
    }
    if (q.detected !== undefined) return q.detected;
    if (!this.interactive) {
      if (q.default !== undefined) return q.default;
      this.missing.push(q);
      return q.example;
    }
    for (let tries = 0; tries < 3; tries++) {
      const suffix = q.default === undefined ? "" : ` [${q.default === "" ? "none" : q.default}]`;
      const raw = (await this.io.prompt(`${q.prompt}${suffix}: `)).trim();
      const answer = raw === "" ? q.default : raw;
      if (answer === undefined) {
        this.io.err(`  an answer is needed (e.g. ${q.example})\n`);
        continue;
      }
      const r = q.check ? q.check(answer) : { value: answer };
      if (typeof r !== "string") return r.value;
      this.io.err(`  ${JSON.stringify(answer)} ${r}\n`);
    }
    this.errors.push(`${q.prompt}: no valid answer after 3 tries; pass ${q.usage}`);
    return q.example;
  }

  /** The refusal: every question left without an answer, as the flags that answer them. */
  refusal(): string | undefined {
    // Two images may ask the same thing (one build arg): name it once.
    const lines = [...new Set([...this.errors, ...this.missing.map((q) => `${q.prompt}: pass ${q.usage}`)])];
    return lines.length === 0 ? undefined : lines.join("\n");
  }
}
