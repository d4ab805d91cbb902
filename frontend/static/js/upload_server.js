/*
 * The upload page's requests: JSON calls that carry the CSRF token, the refusals the server
 * names (ServerError), and retrying what is worth retrying (a lost connection, 5xx, 408, 429)
 * with exponential backoff, resuming early when the browser reports that the connection is back.
 */
(function (ns) {
  "use strict";

  const FIRST_RETRY_MS = 1000;
  const MAX_RETRY_MS = 30000;
  const NIL_UUID = "00000000-0000-0000-0000-000000000000";

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Wait ms, or less if the browser reports that the connection is back. */
  function waitForRetry(ms) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        window.removeEventListener("online", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      window.addEventListener("online", done);
    });
  }

  /** The URL of one upload: the page's URL templates name the nil UUID in its place. */
  function fileUrl(template, uploadId) {
    return template.replace(NIL_UUID, uploadId);
  }

  /** An answer from the server that is not a success; body is its JSON ({message, ...}) or null. */
  class ServerError extends Error {
    constructor(status, body) {
      super((body && body.message) || "The server answered with an error (HTTP " + status + ").");
      this.status = status;
      this.body = body || {};
    }
  }

  /** call(method, url, body, contentType) for this page, its CSRF token in every request. */
  function makeCall(csrfToken) {
    return async function call(method, url, body, contentType) {
      const headers = { "X-CSRFToken": csrfToken, Accept: "application/json" };
      if (contentType) headers["Content-Type"] = contentType;
      const response = await fetch(url, { method, body, headers, credentials: "same-origin", cache: "no-store" });
      let data = null;
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
      if (!response.ok) {
        if (response.status === 403 && !data) {
          throw new ServerError(403, {
            message: "The page's security token has expired. Reload the page, then choose the same file to resume.",
          });
        }
        throw new ServerError(response.status, data);
      }
      return data;
    };
  }

  /** Network failures and server-side hiccups are worth retrying; a refusal (4xx) is not. */
  function isTransient(error) {
    if (error instanceof ServerError) return error.status >= 500 || error.status === 408 || error.status === 429;
    return error instanceof TypeError;
  }

  /** Run fn until it succeeds or fails for good. hooks.isCancelled() stops it; hooks.onRetry(error,
   *  delayMs) tells the person while the connection is down, hooks.onBack() when it is back. */
  async function withRetry(fn, hooks) {
    let delay = FIRST_RETRY_MS;
    let failedBefore = false;
    for (;;) {
      if (hooks.isCancelled()) throw new Error("cancelled");
      try {
        const result = await fn();
        if (failedBefore) hooks.onBack();
        return result;
      } catch (error) {
        if (!isTransient(error)) throw error;
        failedBefore = true;
        hooks.onRetry(error, delay);
        await waitForRetry(delay);
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }

  Object.assign(ns, {
    FIRST_RETRY_MS,
    MAX_RETRY_MS,
    sleep,
    waitForRetry,
    fileUrl,
    ServerError,
    makeCall,
    isTransient,
    withRetry,
  });
})((window.BehaviourUpload = window.BehaviourUpload || {}));
