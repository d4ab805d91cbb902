/*
 * What the upload page shows: its state (root's data-state, which the tests read too), the
 * message line, the transfer's bar, speed and time left, the analysis' bar and stage, and the
 * outcome. No requests here; upload.js decides, this module displays.
 */
(function (ns) {
  "use strict";

  const SPEED_WINDOW_MS = 8000;

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

  /** The page's view over root (#upload-app), with the page's config (#upload-config). */
  function createView(root, config) {
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

    let samples = [];

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

    function showProgress(done, total) {
      const percent = total ? Math.floor((100 * done) / total) : 0;
      ui.bar.value = percent;
      ui.bar.textContent = percent + " %";
      ui.percent.textContent = percent + " % (" + sizeText(done) + " of " + sizeText(total) + ")";
      root.dataset.received = String(done);
    }

    /** The speed is measured from here: sent bytes at this moment. */
    function startSpeed(sent) {
      samples = [[performance.now(), sent]];
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

    function clearSpeed() {
      ui.speed.textContent = "";
      ui.eta.textContent = "";
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

    /** While a request is retried: the connection is down, nothing is lost. */
    function showRetry(error, delay) {
      root.dataset.offline = "true";
      const reason =
        error instanceof ns.ServerError
          ? "The server is not answering properly (HTTP " + error.status + ")."
          : "The connection to the server was lost.";
      showMessage(
        reason + " Nothing is lost: the upload continues by itself as soon as the connection is back " +
          "(next try in " + Math.round(delay / 1000) + " s). You may also close this page and choose the same file again later.",
        "warning"
      );
    }

    function showBack() {
      root.dataset.offline = "false";
      showMessage("The connection is back; the upload continues.", "success");
    }

    // Step 2's list counts the recordings of each session: one more for this session now.
    function countStoredRecording() {
      const count = document.querySelector('[data-recordings-for="' + config.sessionId + '"]');
      if (!count) return;
      const n = Number(count.dataset.count || 0) + 1;
      count.dataset.count = String(n);
      count.textContent = n + (n === 1 ? " recording" : " recordings");
    }

    function reset() {
      samples = [];
      showMessage("", "info");
      ui.transfer.hidden = false;
      ui.analysis.hidden = true;
      ui.done.hidden = true;
      ui.cancel.hidden = false;
      clearSpeed();
      root.dataset.offline = "false";
      delete root.dataset.job;
    }

    function refuse(text) {
      setState("failed");
      ui.transfer.hidden = true;
      showMessage(text, "error");
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

    /** "Upload another file": back to the empty form. */
    function clear() {
      ui.input.value = "";
      ui.transfer.hidden = true;
      ui.analysis.hidden = true;
      ui.done.hidden = true;
      ui.again.hidden = true;
      showMessage("", "info");
      setState("idle");
      ui.input.focus();
    }

    return {
      ui,
      setState,
      showMessage,
      setPhase,
      showProgress,
      startSpeed,
      showSpeed,
      clearSpeed,
      showJob,
      showRetry,
      showBack,
      countStoredRecording,
      reset,
      refuse,
      finish,
      clear,
    };
  }

  Object.assign(ns, { sizeText, duration, createView });
})((window.BehaviourUpload = window.BehaviourUpload || {}));
