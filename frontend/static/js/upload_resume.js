/*
 * Resuming across page reloads: the upload's id and the file's hash are kept in localStorage under
 * a key made of the session, file name, size and last-modified time. After a reload the page lists
 * this session's unfinished uploads; choosing the same file again continues where it stopped.
 */
(function (ns) {
  "use strict";

  const STORAGE_PREFIX = "behaviour-upload:";

  /** The page's memory of unfinished uploads; call is the page's server call, view its view. */
  function createResume(config, call, view) {
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

    /** Forget every remembered file whose upload is uploadId (a cancelled upload). */
    function forgetUpload(uploadId) {
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i);
        const saved = key && key.startsWith(STORAGE_PREFIX) ? recall(key) : null;
        if (saved && saved.uploadId === uploadId) forget(key);
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
          const status = await call("GET", ns.fileUrl(config.statusUrl, saved.uploadId));
          if (status.status !== "open") {
            forget(key);
            continue;
          }
          const percent = Math.floor((100 * status.received_bytes) / status.total_size_bytes);
          lines.push("A video of " + ns.sizeText(status.total_size_bytes) + " (" + percent + " % sent)");
        } catch (error) {
          if (error instanceof ns.ServerError && error.status === 404) forget(key);
        }
      }
      if (lines.length) {
        view.ui.resume.textContent =
          "An unfinished upload can be resumed: " + lines.join(", ") +
          ". Choose the same file again and it continues where it stopped.";
        view.ui.resume.hidden = false;
      }
    }

    return { storageKey, remember, recall, forget, forgetUpload, listUnfinished };
  }

  ns.createResume = createResume;
})((window.BehaviourUpload = window.BehaviourUpload || {}));
