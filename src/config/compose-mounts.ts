/**
 * Compose service `volumes:` entries, short (`./data:/app/data:rw`, `name:/path`,
 * `/path`) and long (`{type: bind|volume|tmpfs, source, target}`) syntax, per
 * https://github.com/compose-spec/compose-spec/blob/main/05-services.md#volumes. Pure.
 */
import { interpolate } from "./compose-vars.js";

export interface Mount {
  /** bind: a host path; volume: a named volume; anonymous: a volume without a name; tmpfs: memory. */
  readonly type: "bind" | "volume" | "anonymous" | "tmpfs";
  /**
   * bind: the host path after defaults, as written (relative paths are relative to the
   * compose project directory, <root>/<env> for berth); volume: the top-level volume key.
   */
  readonly source: string | undefined;
  /** Variables without a default in the source: its value is only known on the server. */
  readonly unresolved: readonly string[];
  /** Absolute path in the container. */
  readonly target: string;
  readonly readOnly: boolean;
  /** As written (short syntax) or the long syntax as JSON. */
  readonly raw: string;
}

/** Compose reads a short-syntax source as a host path when it starts like one. */
const looksLikePath = (s: string) => /^(?:[./~]|\$\{)/.test(s);

/**
 * `./vw-data/` and `/data/` name the same directories as `./vw-data` and `/data`
 * (Docker ignores the trailing slash); without it a file under them would not resolve.
 */
const trim = (p: string) => (p.length > 1 ? p.replace(/\/+$/, "") || "/" : p);

/** A mount, or a message saying why it cannot be read. */
export function parseMount(entry: unknown): Mount | string {
  if (typeof entry === "string") return parseShort(entry);
  if (entry !== null && typeof entry === "object" && !Array.isArray(entry)) {
    const e = entry as Record<string, unknown>;
    const raw = JSON.stringify(e);
    const type = String(e.type ?? "volume");
    const target = trim(interpolate(String(e.target ?? "")).text);
    if (!target.startsWith("/")) {
      return "has no absolute target: (the path in the container); write e.g. {type: bind, source: ./data, target: /app/data}";
    }
    const src = e.source === undefined ? undefined : interpolate(String(e.source));
    const readOnly = e.read_only === true;
    if (type === "tmpfs") return { type, source: undefined, unresolved: [], target, readOnly, raw };
    if (type !== "bind" && type !== "volume") {
      return `has type ${type}, which berth does not read; use bind or volume`;
    }
    if (type === "volume" && !src?.text) {
      return { type: "anonymous", source: undefined, unresolved: [], target, readOnly, raw };
    }
    if (!src?.text)
      return "is a bind mount without source:; write e.g. {type: bind, source: ./data, target: /app/data}";
    return { type, source: trim(src.text), unresolved: src.unresolved, target, readOnly, raw };
  }
  return 'is not a volume mount; write e.g. "./data:/app/data"';
}

function parseShort(raw: string): Mount | string {
  const { text, unresolved } = interpolate(raw);
  // Split on ":" outside ${…}: an unresolved variable stays as ${NAME}, which has no ":".
  const parts = text.split(":");
  if (parts.length === 1) {
    if (!text.startsWith("/")) return 'has no absolute container path; write e.g. "./data:/app/data"';
    return { type: "anonymous", source: undefined, unresolved: [], target: trim(text), readOnly: false, raw };
  }
  if (parts.length > 3) return 'has too many ":" parts; write e.g. "./data:/app/data:rw"';
  const [rawSource = "", rawTarget = "", mode = ""] = parts;
  const source = trim(rawSource);
  const target = trim(rawTarget);
  if (!target.startsWith("/")) {
    return `has target ${JSON.stringify(target)}, not an absolute container path; write e.g. "./data:/app/data"`;
  }
  const readOnly = mode.split(",").includes("ro");
  const inSource = unresolved.filter((v) => source.includes(`\${${v}}`));
  if (looksLikePath(source)) return { type: "bind", source, unresolved: inSource, target, readOnly, raw };
  return { type: "volume", source, unresolved: inSource, target, readOnly, raw };
}
