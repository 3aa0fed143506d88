/**
 * Compose `ports:` entries, short (`"127.0.0.1:3100:3000"`, `"3000"`, `"8080:80/tcp"`,
 * `"[::1]:8080:80"`) and long (`{target, published, host_ip, protocol}`) syntax, per
 * https://github.com/compose-spec/compose-spec/blob/main/05-services.md#ports. Pure.
 */
import { interpolate } from "./compose-vars.js";

export interface PortMapping {
  /** As written (short syntax) or the long syntax as JSON. */
  readonly raw: string;
  /** Interface the port is published on; undefined means all of them (0.0.0.0 and ::). */
  readonly hostIp: string | undefined;
  /** Host port or range as written after defaults ("3100", "${WEB_PORT}"); undefined: Docker picks one. */
  readonly hostPort: string | undefined;
  /** Container port range (one port: start === end); undefined when it is a variable. */
  readonly containerPort: { readonly start: number; readonly end: number } | undefined;
  readonly protocol: string;
}

const RANGE = /^(\d{1,5})(?:-(\d{1,5}))?$/;

function portRange(s: string): { start: number; end: number } | undefined {
  const m = RANGE.exec(s);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  return start >= 1 && end >= start && end <= 65535 ? { start, end } : undefined;
}

/** True for an address only this machine reaches (127.0.0.0/8, ::1, localhost). */
export function isLoopback(hostIp: string | undefined): boolean {
  if (hostIp === undefined) return false;
  const ip = hostIp.replace(/^\[|\]$/g, "");
  return /^127(?:\.\d{1,3}){3}$/.test(ip) || ip === "::1" || ip === "localhost";
}

/** A port mapping, or a message saying why it cannot be read. */
export function parsePort(entry: unknown): PortMapping | string {
  if (typeof entry === "number") entry = String(entry);
  if (typeof entry === "string") return parseShort(entry);
  if (entry !== null && typeof entry === "object" && !Array.isArray(entry)) {
    const e = entry as Record<string, unknown>;
    const raw = JSON.stringify(e);
    const target = interpolate(String(e.target ?? "")).text;
    const published = e.published === undefined ? undefined : interpolate(String(e.published)).text;
    const hostIp = e.host_ip === undefined ? undefined : interpolate(String(e.host_ip)).text;
    const containerPort = portRange(target);
    if (!containerPort && !target.includes("${")) {
      return "has no valid target: (container port); write e.g. {target: 3000, published: 3100, host_ip: 127.0.0.1}";
    }
    return {
      raw,
      hostIp: hostIp || undefined,
      hostPort: published || undefined,
      containerPort,
      protocol: String(e.protocol ?? "tcp").toLowerCase(),
    };
  }
  return 'is not a port mapping; write e.g. "127.0.0.1:3100:3000"';
}

function parseShort(raw: string): PortMapping | string {
  let rest = interpolate(raw).text;
  let protocol = "tcp";
  const proto = /\/(tcp|udp|sctp)$/i.exec(rest);
  if (proto?.[1]) {
    protocol = proto[1].toLowerCase();
    rest = rest.slice(0, proto.index);
  }
  let hostIp: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]:");
    if (close < 0) return 'has an unterminated [IPv6] address; write e.g. "[::1]:3100:3000"';
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(":");
  const container = parts.pop() ?? "";
  const hostPort = parts.pop();
  if (parts.length > 0) {
    if (hostIp !== undefined) return 'has too many ":" parts; write e.g. "127.0.0.1:3100:3000"';
    hostIp = parts.join(":");
  }
  const containerPort = portRange(container);
  if (!containerPort && !container.includes("${")) {
    return 'has no valid container port; write e.g. "127.0.0.1:3100:3000" (host IP : host port : container port)';
  }
  return { raw, hostIp: hostIp || undefined, hostPort: hostPort || undefined, containerPort, protocol };
}
