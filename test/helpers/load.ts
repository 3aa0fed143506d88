/**
 * A bounded writer: POSTs a note every few milliseconds and keeps what each request
 * got back, so a test can say "the client saw only 2xx" and "every acknowledged write is
 * in the database". Bounded in count and time (never an open-ended loop). It sends a
 * request again when nginx closed its kept-alive connection unanswered, as browsers do
 * (scripts/lib/browser-fetch.mjs), and counts that apart from the statuses.
 */
import { browserFetch } from "../../scripts/lib/browser-fetch.mjs";

export interface WriterResult {
  /** HTTP status → count; 0 counts requests that got no response (connection refused, reset). */
  readonly statuses: Readonly<Record<number, number>>;
  /** The ids the app acknowledged (201). */
  readonly ids: readonly number[];
  /** When the first and the last acknowledgement arrived (ms since the epoch). */
  readonly firstAck: number;
  readonly lastAck: number;
  /** Requests sent again because nginx closed a kept-alive connection unanswered (its reload), as a browser does. */
  readonly resent: number;
}

export interface Writer {
  stop(): Promise<WriterResult>;
}

export function startWriter(
  baseUrl: string,
  label: string,
  { intervalMs = 20, maxMs = 120_000, maxCount = 6000 } = {},
): Writer {
  const statuses: Record<number, number> = {};
  const ids: number[] = [];
  let firstAck = 0;
  let lastAck = 0;
  let resent = 0;
  let stopped = false;
  const started = Date.now();
  const loop = (async () => {
    for (let i = 0; i < maxCount && !stopped && Date.now() - started < maxMs; i++) {
      let status = 0;
      try {
        const { res, resent: again } = await browserFetch(`${baseUrl}/api/notes`, () => ({
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ text: `${label} ${i}` }),
          signal: AbortSignal.timeout(10_000),
        }));
        resent += again;
        status = res.status;
        const body = (await res.json().catch(() => ({}))) as { id?: number };
        if (status === 201 && typeof body.id === "number") {
          ids.push(body.id);
          lastAck = Date.now();
          firstAck ||= lastAck;
        }
      } catch {
        status = 0;
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { statuses, ids, firstAck, lastAck, resent };
    },
  };
}
