// fetch as a browser sends a request on a kept-alive HTTP/1.1 connection.
//
// nginx's reload (a swap's switch) ends its old workers gracefully: they finish every
// request they have read, and close their idle kept-alive connections at once. A request
// the client has just written to such a connection is never read; the client sees the
// connection close with no response (undici: UND_ERR_SOCKET "other side closed", or a
// reset). RFC 9112 §9.3.1 lets a client send it again, and browsers do, for any method,
// when a reused connection closes before any response byte (Chromium:
// HttpNetworkTransaction::ShouldResendRequest). Node's fetch does not, so the lab's
// clients do it here, and count each resend so that no failure is hidden.
// A refused connection, a timeout or any HTTP status is never resent.

/** Errors of a connection that closed before a response: what a browser resends on. */
const CLOSED = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

/** At most this many resends (a browser stops when its idle connections run out). */
const MAX_RESENDS = 3;

/**
 * fetch(url, init()) — init is a function so each attempt gets a fresh body and timeout
 * signal. Resolves to { res, resent }; rejects as fetch does once the resends are spent.
 */
export async function browserFetch(url, init) {
  for (let resent = 0; ; resent++) {
    try {
      return { res: await fetch(url, init()), resent };
    } catch (e) {
      if (resent >= MAX_RESENDS || !CLOSED.has(e?.cause?.code)) throw e;
    }
  }
}
