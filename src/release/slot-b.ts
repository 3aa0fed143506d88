/**
 * The second slot of the swap path (docs/design.md §3): the same compose file, run as
 * project `<project>_b` beside the live one, with every published host port moved by a
 * fixed offset (two containers cannot publish one port) and every named volume pinned to
 * the live slot's volume (compose prefixes volume names with the project, which would
 * give slot b empty volumes). Compose concatenates `ports:` across `-f` files, so an
 * override cannot move a port: slot b gets its own rewritten copy of the file. Pure.
 */
import { isMap, isScalar, isSeq, parseDocument, type YAMLMap } from "yaml";
import { parsePort } from "../config/compose-ports.js";

export const SLOT_B_FILE = "compose.slot-b.yml";

export type SlotB =
  | {
      readonly possible: true;
      /** The rewritten compose file. */
      readonly text: string;
      /** Slot a's literal host TCP port → slot b's, as strings (JSON keys). */
      readonly ports: Readonly<Record<string, string>>;
      /**
       * Host ports given by a variable (`${BACKEND_PORT}`): slot b's file reads
       * `${<name>}`, which the server sets to the value of `from` (read from the env
       * file, or its default) plus the offset.
       */
      readonly variables: readonly { readonly name: string; readonly from: string }[];
    }
  | { readonly possible: false; readonly why: string };

const no = (why: string): SlotB => ({ possible: false, why });

/** Rewrite `composeText` for slot b, or say why the release cannot run twice side by side. */
export function slotB(composeText: string, project: string, offset: number): SlotB {
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(composeText, { merge: true, uniqueKeys: false });
  } catch (e) {
    return no(`the compose file does not parse: ${(e as Error).message}`);
  }
  if (doc.errors.length > 0) return no(`the compose file does not parse: ${doc.errors[0]?.message}`);
  const services = doc.get("services");
  if (!isMap(services)) return no("the compose file has no services: map");
  const ports: Record<string, string> = {};
  const variables: { name: string; from: string }[] = [];
  for (const pair of services.items) {
    const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
    const svc = pair.value;
    if (!isMap(svc)) continue;
    if (svc.has("container_name")) {
      return no(`services.${name} sets container_name:, so two of it cannot run at once; remove it`);
    }
    const mode = svc.get("network_mode");
    if (typeof mode === "string" && mode === "host") {
      return no(`services.${name} uses network_mode: host, whose ports cannot be moved`);
    }
    const list = svc.get("ports");
    if (list === undefined || list === null) continue;
    if (!isSeq(list)) return no(`services.${name}.ports is not a list`);
    for (let i = 0; i < list.items.length; i++) {
      const moved = movePort(list.items[i], offset, ports, variables);
      if ("error" in moved) return no(`services.${name}.ports[${i}] ${moved.error}`);
      list.items[i] = doc.createNode(moved.entry);
    }
  }
  const volumes = doc.get("volumes");
  if (isMap(volumes)) {
    for (const pair of volumes.items) {
      const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
      pair.value = doc.createNode(pinVolume(name, pair.value, project));
    }
  }
  return { possible: true, text: doc.toString(), ports, variables };
}

const VARIABLE = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?-(\d{1,5}))?\}|([A-Za-z_][A-Za-z0-9_]*))$/;
const LITERAL = /^(\d{1,5})(?:-(\d{1,5}))?$/;

/** Short syntax as written, split on the colons outside `${…}` and `[…]`: [ip:]host:container. */
function shortParts(
  raw: string,
): { ip: string | undefined; host: string | undefined; container: string } | undefined {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if ((c === "$" && raw[i + 1] === "{") || c === "[") depth++;
    else if ((c === "}" || c === "]") && depth > 0) depth--;
    if (c === ":" && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += c;
  }
  parts.push(cur);
  if (parts.length === 1) return { ip: undefined, host: undefined, container: parts[0] ?? "" };
  if (parts.length === 2) return { ip: undefined, host: parts[0] ?? "", container: parts[1] ?? "" };
  if (parts.length === 3) return { ip: parts[0], host: parts[1] ?? "", container: parts[2] ?? "" };
  return undefined;
}

/** The entry with its host port(s) moved; a message when it cannot be. */
function movePort(
  node: unknown,
  offset: number,
  ports: Record<string, string>,
  variables: { name: string; from: string }[],
): { entry: unknown } | { error: string } {
  const value = isScalar(node) ? node.value : isMap(node) ? node.toJSON() : node;
  const p = parsePort(value);
  if (typeof p === "string") return { error: p };
  let written: string | undefined;
  if (typeof value === "object" && value !== null) {
    const published = (value as Record<string, unknown>).published;
    written = published === undefined ? undefined : String(published);
  } else {
    const raw = String(value).replace(/\/(tcp|udp|sctp)$/i, "");
    const parts = shortParts(raw);
    written = parts?.host;
    if (parts === undefined) return { error: "cannot be read to move its host port" };
  }
  if (written === undefined || written === "") return { entry: value }; // Docker picks a free port: no clash
  const replace = (host: string) => {
    if (typeof value === "object" && value !== null)
      return { entry: { ...(value as object), published: host } };
    const raw = String(value);
    const proto = /\/(tcp|udp|sctp)$/i.exec(raw)?.[0] ?? "";
    const m = shortParts(raw.slice(0, raw.length - proto.length));
    return { entry: `${m?.ip === undefined ? "" : `${m.ip}:`}${host}:${m?.container}${proto}` };
  };
  const range = LITERAL.exec(written);
  if (range) {
    const start = Number(range[1]);
    const end = range[2] === undefined ? start : Number(range[2]);
    if (end + offset > 65535) {
      return {
        error: `publishes host port ${end}; moved by swap.port_offset ${offset} it passes 65535: lower swap.port_offset`,
      };
    }
    for (let port = start; port <= end && p.protocol === "tcp"; port++)
      ports[String(port)] = String(port + offset);
    return replace(range[2] === undefined ? `${start + offset}` : `${start + offset}-${end + offset}`);
  }
  if (VARIABLE.test(written)) {
    const name = `BERTH_SLOT_B_PORT_${variables.length + 1}`;
    variables.push({ name, from: written });
    return replace(`\${${name}}`);
  }
  return {
    error: `publishes host port ${JSON.stringify(written)}, which berth cannot move; write a number or one variable like \${WEB_PORT}`,
  };
}

/** A top-level volume made to name slot a's: external (slot b never creates or removes it). */
function pinVolume(name: string, node: unknown, project: string): unknown {
  const v = isMap(node) ? ((node as YAMLMap).toJSON() as Record<string, unknown>) : {};
  if (v.external === true || (typeof v.external === "object" && v.external !== null)) return node ?? null;
  const real = typeof v.name === "string" ? v.name : `${project}_${name}`;
  // `external: {name:}` is read by compose v1 in every file version, and by v2.
  return { external: { name: real } };
}
