/*
 * The file's SHA-256, computed in the browser before anything is sent: crypto.subtle when the file
 * fits comfortably in memory and the page is a secure context, else the incremental pure-JS
 * Sha256 of sha256.js, slice by slice. The server recomputes it and refuses a mismatch; knowing it
 * first is what makes a resumed upload safe ("the same file" is the same name, size and hash).
 */
(function (ns) {
  "use strict";

  const SUBTLE_MAX_BYTES = 256 * 1024 * 1024;
  const HASH_SLICE_BYTES = 8 * 1024 * 1024;

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  /** The hex digest; onProgress(doneBytes, totalBytes) as it goes, isCancelled() stops it. */
  async function sha256OfFile(file, onProgress, isCancelled) {
    if (window.isSecureContext && window.crypto && crypto.subtle && file.size <= SUBTLE_MAX_BYTES) {
      onProgress(0, file.size);
      const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
      onProgress(file.size, file.size);
      return hex(digest);
    }
    const hash = new window.Sha256();
    for (let offset = 0; offset < file.size; offset += HASH_SLICE_BYTES) {
      if (isCancelled()) throw new Error("cancelled");
      const slice = await file.slice(offset, offset + HASH_SLICE_BYTES).arrayBuffer();
      hash.update(new Uint8Array(slice));
      onProgress(Math.min(offset + HASH_SLICE_BYTES, file.size), file.size);
    }
    return hash.hexDigest();
  }

  ns.sha256OfFile = sha256OfFile;
})((window.BehaviourUpload = window.BehaviourUpload || {}));
