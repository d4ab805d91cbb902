/*
 * The upload page: hash the file, send it in chunks with retries, resume after a lost
 * connection or a page reload, then follow the analysis until it finishes.
 *
 * Checksum (upload_hash.js): the browser computes the whole file's SHA-256 before sending and
 * declares it when the upload starts. The server always recomputes it over the assembled file and
 * refuses a mismatch. Knowing the hash first is also what makes a resumed upload safe: "the same
 * file" is the same name, size and hash.
 *
 * Resuming (upload_resume.js): after a reload the page lists unfinished uploads; choosing the same
 * file again starts again, the server returns the open upload and its received_bytes, and the
 * chunks continue from there. Within one page, a failed request (network error, 5xx) is retried
 * with exponential backoff (upload_server.js), and a 409 answer gives the offset to continue.
 * What the page shows is upload_view.js's; this module runs the steps and wires the page.
 *
 * The page's server-side configuration is read from the JSON script element #upload-config.
 */
(function (ns) {
  "use strict";

  const root = document.getElementById("upload-app");
  if (!root) return;
  const config = JSON.parse(document.getElementById("upload-config").textContent);
  const csrfToken = root.querySelector("input[name=csrfmiddlewaretoken]").value;

  const POLL_MS = 1500;
  const { ServerError, fileUrl, sleep, waitForRetry, isTransient, sizeText } = ns;
  const call = ns.makeCall(csrfToken);
  const view = ns.createView(root, config);
  const resume = ns.createResume(config, call, view);
  const ui = view.ui;

  let busy = false;
  let cancelled = false;

  function withRetry(fn) {
    return ns.withRetry(fn, { isCancelled: () => cancelled, onRetry: view.showRetry, onBack: view.showBack });
  }

  function jobUrl(jobId) {
    return config.jobUrl.replace(/\/0\/$/, "/" + jobId + "/");
  }

  async function sendChunks(file, upload) {
    let offset = upload.received_bytes;
    view.showProgress(offset, file.size);
    view.startSpeed(offset);
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
      view.showProgress(offset, file.size);
      view.showSpeed(offset, file.size);
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
          view.setState("analysing");
          view.setPhase("Video stored.");
          view.showMessage("", "info");
          ui.cancel.hidden = true;
          view.showJob(status.job);
        }
      } catch (error) {
        /* The completion request reports real failures. */
      }
    }
    return completion;
  }

  async function followAnalysis(jobId) {
    view.setState("analysing");
    let delay = ns.FIRST_RETRY_MS;
    for (;;) {
      let job;
      try {
        job = await call("GET", jobUrl(jobId));
        delay = ns.FIRST_RETRY_MS;
      } catch (error) {
        if (!isTransient(error)) throw error;
        view.showMessage("The connection was lost; the analysis goes on on the server. Trying again…", "warning");
        await waitForRetry(delay);
        delay = Math.min(delay * 2, ns.MAX_RETRY_MS);
        continue;
      }
      view.showJob(job);
      if (job.finished) return job;
      await sleep(POLL_MS);
    }
  }

  async function upload(file) {
    if (busy) return;
    busy = true;
    cancelled = false;
    view.reset();
    ui.resume.hidden = true;
    const key = resume.storageKey(file);
    try {
      if (file.size === 0) return view.refuse("This file is empty. Choose the video file itself.");
      if (file.size > config.maxBytes) {
        return view.refuse(
          "The file is " + sizeText(file.size) + ", larger than the " + sizeText(config.maxBytes) +
            " limit. Shorten or compress the video, or ask an administrator to raise the limit."
        );
      }
      const saved = resume.recall(key);
      let sha256 = saved && saved.sha256;
      if (!sha256) {
        view.setState("hashing");
        view.setPhase("Computing the file's checksum (nothing is sent yet)…");
        sha256 = await ns.sha256OfFile(file, view.showProgress, () => cancelled);
      }
      resume.remember(key, { sha256, uploadId: saved && saved.uploadId });
      view.setState("starting");
      view.showProgress(0, file.size);  // the bar measured the checksum; it now counts bytes sent
      view.setPhase("Starting the upload…");
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
      resume.remember(key, { sha256, uploadId: started.id });
      root.dataset.upload = started.id;
      view.showProgress(started.received_bytes || 0, file.size);
      view.setState("uploading");
      view.setPhase(
        started.resumed && started.received_bytes > 0
          ? "Resuming the video from " + sizeText(started.received_bytes) + "…"
          : "Uploading the video…"
      );
      await sendChunks(file, started);
      view.setState("verifying");
      view.setPhase("Checking the file on the server and storing it…");
      view.clearSpeed();
      ui.cancel.hidden = true;
      const status = await complete(started);
      resume.forget(key);
      view.countStoredRecording();
      view.setPhase("Video stored. Analysis in progress; you may leave this page, it continues on the server.");
      view.showMessage("", "info");
      const job = await followAnalysis(status.job.id);
      view.finish(job);
    } catch (error) {
      if (error.message === "cancelled") return;
      // A refusal named by the server (too large, no consent, not a video, checksum) ends this upload.
      if (error instanceof ServerError && error.body.code) resume.forget(key);
      view.refuse(error instanceof ServerError ? error.message : "Something went wrong in this page: " + error.message);
    } finally {
      busy = false;
      ui.cancel.hidden = true;
      ui.again.hidden = false;
    }
  }

  async function cancel() {
    cancelled = true;
    const uploadId = root.dataset.upload;
    view.setState("cancelled");
    ui.transfer.hidden = true;
    view.showMessage("Upload cancelled. Nothing was stored.", "info");
    resume.forgetUpload(uploadId);
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
  ui.again.addEventListener("click", view.clear);
  window.addEventListener("offline", () => {
    if (busy) root.dataset.offline = "true";
  });

  view.setState("idle");
  resume.listUnfinished();
})((window.BehaviourUpload = window.BehaviourUpload || {}));
