/*
 * The upload page: hash the file, send it in chunks with retries, resume after a lost
 * connection or a page reload, then follow the analysis until it finishes.
 *
 * Checksum: the browser computes the whole file's SHA-256 before sending (crypto.subtle when the
 * file fits comfortably in memory and the page is a secure context, else the incremental pure-JS
 * Sha256 of sha256.js, slice by slice), and declares it when the upload starts. The server
 * always recomputes it over the assembled file and refuses a mismatch. Knowing the hash first
 * is also what makes a resumed upload safe: "the same file" is the same name, size and hash.
 *
 * Resuming: the upload's id and the file's hash are kept in localStorage under a key made of the
 * session, file name, size and last-modified time. After a reload the page lists unfinished
 * uploads; choosing the same file again starts again, the server returns the open upload and its
 * received_bytes, and the chunks continue from there. Within one page, a failed request (network
 * error, 5xx) is retried with exponential backoff, and a 409 answer gives the offset to continue.
 *
 * The page's server-side configuration is read from the JSON script element #upload-config.
 */
(function () {
  "use strict";

  const root = document.getElementById("upload-app");
  if (!root) return;
  const config = JSON.parse(document.getElementById("upload-config").textContent);
  const csrfToken = root.querySelector("input[name=csrfmiddlewaretoken]").value;

  const SUBTLE_MAX_BYTES = 256 * 1024 * 1024;
  const HASH_SLICE_BYTES = 8 * 1024 * 1024;
  const STORAGE_PREFIX = "behaviour-upload:";
  const POLL_MS = 1500;
  const FIRST_RETRY_MS = 1000;
  const MAX_RETRY_MS = 30000;
  const SPEED_WINDOW_MS = 8000;
  const NIL_UUID = "00000000-0000-0000-0000-000000000000";

  const $ = (id) => document.getElementById(id);
  const ui = {
    input: $("upload-file"),
    drop: $("upload-drop"),
    resume: $("upload-resume"),
    message: $("upload-message"),
    transfer: $("upload-transfer"),
    phase: $("upload-phase"),
    bar: $("upload-progress"),
    percent: $("upload-percent"),
    speed: $("upload-speed"),
    eta: $("upload-eta"),
    cancel: $("upload-cancel"),
    analysis: $("analysis"),
    analysisBar: $("analysis-progress"),
    analysisStage: $("analysis-stage"),
    analysisPercent: $("analysis-percent"),
    done: $("upload-done"),
    again: $("upload-again"),
  };

  let busy = false;
  let cancelled = false;

  /* ---------- small helpers ---------- */

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

  function sizeText(bytes) {
    const units = [["GB", 1024 ** 3], ["MB", 1024 ** 2], ["kB", 1024]];
    for (const [unit, size] of units) {
      if (bytes >= size) return (bytes / size).toLocaleString("en-GB", { maximumFractionDigits: 1 }) + " " + unit;
    }
    return Math.round(bytes) + " bytes";
  }

  function duration(seconds) {
    if (!isFinite(seconds)) return "";
    if (seconds < 60) return Math.max(1, Math.round(seconds)) + " s";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min " + Math.round(seconds % 60) + " s";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  function setState(state) {
    root.dataset.state = state;
  }

  function showMessage(text, kind) {
    ui.message.textContent = text;
    ui.message.className = "upload-message message message-" + (kind || "info");
    ui.message.hidden = !text;
  }

  function setPhase(text) {
    ui.phase.textContent = text;
  }

  function fileUrl(template, uploadId) {
    return template.replace(NIL_UUID, uploadId);
  }

  function jobUrl(jobId) {
    return config.jobUrl.replace(/\/0\/$/, "/" + jobId + "/");
  }

  /** An answer from the server that is not a success; body is its JSON ({message, ...}) or null. */
  class ServerError extends Error {
    constructor(status, body) {
      super((body && body.message) || "The server answered with an error (HTTP " + status + ").");
      this.status = status;
      this.body = body || {};
    }
  }

  async function call(method, url, body, contentType) {
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
  }

  /** Network failures and server-side hiccups are worth retrying; a refusal (4xx) is not. */
  function isTransient(error) {
    if (error instanceof ServerError) return error.status >= 500 || error.status === 408 || error.status === 429;
    return error instanceof TypeError;
  }

  /** Run fn until it succeeds or fails for good, telling the person while the connection is down. */
  async function withRetry(fn) {
    let delay = FIRST_RETRY_MS;
    let failedBefore = false;
    for (;;) {
      if (cancelled) throw new Error("cancelled");
      try {
        const result = await fn();
        if (failedBefore) {
          root.dataset.offline = "false";
          showMessage("The connection is back; the upload continues.", "success");
        }
        return result;
      } catch (error) {
        if (!isTransient(error)) throw error;
        failedBefore = true;
        root.dataset.offline = "true";
        const reason =
          error instanceof ServerError
            ? "The server is not answering properly (HTTP " + error.status + ")."
            : "The connection to the server was lost.";
        showMessage(
          reason + " Nothing is lost: the upload continues by itself as soon as the connection is back " +
            "(next try in " + Math.round(delay / 1000) + " s). You may also close this page and choose the same file again later.",
          "warning"
        );
        await waitForRetry(delay);
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }

  /* ---------- resuming across reloads ---------- */

  function storageKey(file) {
    return STORAGE_PREFIX + [config.sessionId, file.name, file.size, file.lastModified].join(":");
  }

  function remember(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch (error) {
      /* Private browsing may refuse storage: resuming after a reload is then not possible. */
    }
  }

  function recall(key) {
    try {
      return JSON.parse(localStorage.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function forget(key) {
    try {
      localStorage.removeItem(key);
    } catch (error) {
      /* nothing to forget */
    }
  }

  /** On page load: list this session's unfinished uploads, so the person knows to pick the file again. */
  async function listUnfinished() {
    const notices = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (!key || !key.startsWith(STORAGE_PREFIX + config.sessionId + ":")) continue;
      const saved = recall(key);
      if (!saved || !saved.uploadId) continue;
      notices.push({ key, saved });
    }
    const lines = [];
    for (const { key, saved } of notices) {
      try {
        const status = await call("GET", fileUrl(config.statusUrl, saved.uploadId));
        if (status.status !== "open") {
          forget(key);
          continue;
        }
        const percent = Math.floor((100 * status.received_bytes) / status.total_size_bytes);
        lines.push("A video of " + sizeText(status.total_size_bytes) + " (" + percent + " % sent)");
      } catch (error) {
        if (error instanceof ServerError && error.status === 404) forget(key);
      }
    }
    if (lines.length) {
      ui.resume.textContent =
        "An unfinished upload can be resumed: " + lines.join(", ") +
        ". Choose the same file again and it continues where it stopped.";
      ui.resume.hidden = false;
    }
  }

  /* ---------- hashing ---------- */

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  async function sha256OfFile(file) {
    if (window.isSecureContext && window.crypto && crypto.subtle && file.size <= SUBTLE_MAX_BYTES) {
      showProgress(0, file.size);
      const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
      showProgress(file.size, file.size);
      return hex(digest);
    }
    const hash = new window.Sha256();
    for (let offset = 0; offset < file.size; offset += HASH_SLICE_BYTES) {
      if (cancelled) throw new Error("cancelled");
      const slice = await file.slice(offset, offset + HASH_SLICE_BYTES).arrayBuffer();
      hash.update(new Uint8Array(slice));
      showProgress(Math.min(offset + HASH_SLICE_BYTES, file.size), file.size);
    }
    return hash.hexDigest();
  }

  /* ---------- after storing ---------- */

  // Step 2's list counts the recordings of each session: one more for this session now.
  function countStoredRecording() {
    const count = document.querySelector('[data-recordings-for="' + config.sessionId + '"]');
    if (!count) return;
    const n = Number(count.dataset.count || 0) + 1;
    count.dataset.count = String(n);
    count.textContent = n + (n === 1 ? " recording" : " recordings");
  }

  /* ---------- progress ---------- */

  let samples = [];

  function showProgress(done, total) {
    const percent = total ? Math.floor((100 * done) / total) : 0;
    ui.bar.value = percent;
    ui.bar.textContent = percent + " %";
    ui.percent.textContent = percent + " % (" + sizeText(done) + " of " + sizeText(total) + ")";
    root.dataset.received = String(done);
  }

  function showSpeed(sent, total) {
    const now = performance.now();
    samples.push([now, sent]);
    while (samples.length > 2 && now - samples[0][0] > SPEED_WINDOW_MS) samples.shift();
    const [t0, b0] = samples[0];
    const seconds = (now - t0) / 1000;
    if (samples.length < 2 || seconds <= 0) return;
    const speed = (sent - b0) / seconds;
    ui.speed.textContent = sizeText(speed) + "/s";
    ui.eta.textContent = speed > 0 ? "about " + duration((total - sent) / speed) + " left" : "";
  }

  function showJob(job) {
    ui.analysis.hidden = false;
    const percent = job.status === "succeeded" ? 100 : job.progress;
    ui.analysisBar.value = percent;
    ui.analysisBar.textContent = percent + " %";
    ui.analysisPercent.textContent = percent + " %";
    ui.analysisStage.textContent = job.stage || job.status_label;
    root.dataset.job = job.status;
  }

  /* ---------- the upload ---------- */

  function reset() {
    cancelled = false;
    samples = [];
    showMessage("", "info");
    ui.transfer.hidden = false;
    ui.analysis.hidden = true;
    ui.done.hidden = true;
    ui.cancel.hidden = false;
    ui.speed.textContent = "";
    ui.eta.textContent = "";
    root.dataset.offline = "false";
    delete root.dataset.job;
  }

  function refuse(text) {
    setState("failed");
    ui.transfer.hidden = true;
    showMessage(text, "error");
  }

  async function sendChunks(file, upload) {
    let offset = upload.received_bytes;
    showProgress(offset, file.size);
    samples = [[performance.now(), offset]];
    while (offset < file.size) {
      if (cancelled) throw new Error("cancelled");
      const start = offset;
      const chunk = file.slice(start, Math.min(start + config.chunkBytes, file.size));
      try {
        const answer = await withRetry(() =>
          call("POST", fileUrl(config.chunkUrl, upload.id) + "?offset=" + start, chunk, "application/octet-stream")
        );
        offset = answer.received_bytes;
      } catch (error) {
        const expected = error instanceof ServerError ? error.body.expected_offset : undefined;
        if (error.status === 409 && error.body.code === "offset_mismatch" && typeof expected === "number") {
          offset = expected;
          continue;
        }
        throw error;
      }
      showProgress(offset, file.size);
      showSpeed(offset, file.size);
    }
  }

  /** Ask the server to verify and store the file. While it works (in a small installation the
   *  analysis itself may run inside that request), the upload's status shows the analysis job. */
  async function complete(upload) {
    let settled = false;
    const completion = withRetry(() => call("POST", fileUrl(config.completeUrl, upload.id))).finally(() => {
      settled = true;
    });
    completion.catch(() => {});
    while (!settled) {
      await Promise.race([completion.catch(() => {}), sleep(POLL_MS)]);
      if (settled) break;
      try {
        const status = await call("GET", fileUrl(config.statusUrl, upload.id));
        if (status.job) {
          setState("analysing");
          setPhase("Video stored.");
          showMessage("", "info");
          ui.cancel.hidden = true;
          showJob(status.job);
        }
      } catch (error) {
        /* The completion request reports real failures. */
      }
    }
    return completion;
  }

  async function followAnalysis(jobId) {
    setState("analysing");
    let delay = FIRST_RETRY_MS;
    for (;;) {
      let job;
      try {
        job = await call("GET", jobUrl(jobId));
        delay = FIRST_RETRY_MS;
      } catch (error) {
        if (!isTransient(error)) throw error;
        showMessage("The connection was lost; the analysis goes on on the server. Trying again…", "warning");
        await waitForRetry(delay);
        delay = Math.min(delay * 2, MAX_RETRY_MS);
        continue;
      }
      showJob(job);
      if (job.finished) return job;
      await sleep(POLL_MS);
    }
  }

  async function upload(file) {
    if (busy) return;
    busy = true;
    reset();
    ui.resume.hidden = true;
    const key = storageKey(file);
    try {
      if (file.size === 0) return refuse("This file is empty. Choose the video file itself.");
      if (file.size > config.maxBytes) {
        return refuse(
          "The file is " + sizeText(file.size) + ", larger than the " + sizeText(config.maxBytes) +
            " limit. Shorten or compress the video, or ask an administrator to raise the limit."
        );
      }
      const saved = recall(key);
      let sha256 = saved && saved.sha256;
      if (!sha256) {
        setState("hashing");
        setPhase("Computing the file's checksum (nothing is sent yet)…");
        sha256 = await sha256OfFile(file);
      }
      remember(key, { sha256, uploadId: saved && saved.uploadId });
      setState("starting");
      showProgress(0, file.size);  // the bar measured the checksum; it now counts bytes sent
      setPhase("Starting the upload…");
      const startUpload = (confirmOtherPatient) =>
        withRetry(() =>
          call(
            "POST",
            config.startUrl,
            JSON.stringify({
              session: config.sessionId,
              filename: file.name,
              size: file.size,
              sha256,
              confirm_other_patient: confirmOtherPatient,
            }),
            "application/json"
          )
        );
      let started;
      try {
        started = await startUpload(false);
      } catch (error) {
        // The same file is stored for another patient: the server says why; the person decides.
        if (!(error instanceof ServerError && error.body.code === "confirm_other_patient")) throw error;
        if (!window.confirm(error.message + "\n\nUpload it for this patient anyway?")) throw error;
        started = await startUpload(true);
      }
      remember(key, { sha256, uploadId: started.id });
      root.dataset.upload = started.id;
      showProgress(started.received_bytes || 0, file.size);
      setState("uploading");
      setPhase(
        started.resumed && started.received_bytes > 0
          ? "Resuming the video from " + sizeText(started.received_bytes) + "…"
          : "Uploading the video…"
      );
      await sendChunks(file, started);
      setState("verifying");
      setPhase("Checking the file on the server and storing it…");
      ui.speed.textContent = "";
      ui.eta.textContent = "";
      ui.cancel.hidden = true;
      const status = await complete(started);
      forget(key);
      countStoredRecording();
      setPhase("Video stored. Analysis in progress; you may leave this page, it continues on the server.");
      showMessage("", "info");
      const job = await followAnalysis(status.job.id);
      finish(job);
    } catch (error) {
      if (error.message === "cancelled") return;
      // A refusal named by the server (too large, no consent, not a video, checksum) ends this upload.
      if (error instanceof ServerError && error.body.code) forget(key);
      refuse(error instanceof ServerError ? error.message : "Something went wrong in this page: " + error.message);
    } finally {
      busy = false;
      ui.cancel.hidden = true;
      ui.again.hidden = false;
    }
  }

  function finish(job) {
    ui.cancel.hidden = true;
    if (job.status === "succeeded") {
      setState("finished");
      setPhase("Upload and analysis finished.");
      showMessage(
        job.result_status && job.result_status !== "ok"
          ? "The analysis finished with a remark: " + job.result_status.replace(/_/g, " ") + "."
          : config.canViewResults
            ? "The analysis finished. Open the session to review the results."
            : "The video is stored and analysed. The clinicians of the care team review the results; " +
              "the patient's page shows the session and its analysis status.",
        job.result_status && job.result_status !== "ok" ? "warning" : "success"
      );
      ui.done.hidden = false;
    } else if (job.status === "cancelled") {
      setState("failed");
      showMessage("The analysis was cancelled: " + (job.error || "no reason given."), "warning");
    } else {
      setState("failed");
      showMessage("The analysis failed: " + (job.error || "no reason given.") + " The video is stored; a clinician can retry the analysis.", "error");
    }
  }

  async function cancel() {
    cancelled = true;
    const uploadId = root.dataset.upload;
    setState("cancelled");
    ui.transfer.hidden = true;
    showMessage("Upload cancelled. Nothing was stored.", "info");
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      const saved = key && key.startsWith(STORAGE_PREFIX) ? recall(key) : null;
      if (saved && saved.uploadId === uploadId) forget(key);
    }
    if (uploadId) {
      try {
        await call("POST", fileUrl(config.abandonUrl, uploadId));
      } catch (error) {
        /* The server abandons untouched uploads by itself after a while. */
      }
    }
  }

  /* ---------- wiring ---------- */

  ui.input.addEventListener("change", () => {
    if (ui.input.files.length) upload(ui.input.files[0]);
  });
  ["dragenter", "dragover"].forEach((type) =>
    ui.drop.addEventListener(type, (event) => {
      event.preventDefault();
      ui.drop.classList.add("dragging");
    })
  );
  ["dragleave", "drop"].forEach((type) =>
    ui.drop.addEventListener(type, () => ui.drop.classList.remove("dragging"))
  );
  ui.drop.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) upload(event.dataTransfer.files[0]);
  });
  ui.cancel.addEventListener("click", cancel);
  ui.again.addEventListener("click", () => {
    ui.input.value = "";
    ui.transfer.hidden = true;
    ui.analysis.hidden = true;
    ui.done.hidden = true;
    ui.again.hidden = true;
    showMessage("", "info");
    setState("idle");
    ui.input.focus();
  });
  window.addEventListener("offline", () => {
    if (busy) root.dataset.offline = "true";
  });

  setState("idle");
  listUnfinished();
})();
