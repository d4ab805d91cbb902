// Session page: skeleton and face overlay drawn over the video, timeline, event review.
// Vanilla JS, no CDN. The overlay is a compact JSON of the patient's keypoints per analysed
// frame (see frontend/review/overlay.py); the frame shown is the last analysed one at or
// before the video's current time, redrawn with requestAnimationFrame while playing.
(function () {
  "use strict";

  const video = document.getElementById("session-video");
  const canvas = document.getElementById("overlay-canvas");
  const statusLine = document.getElementById("overlay-status");
  const timelineDiv = document.getElementById("timeline");
  let overlay = null;

  function seek(seconds) {
    if (!video) return;
    video.currentTime = seconds;
    video.focus({ preventScroll: true });
  }

  // ---- overlay ----
  function frameAt(t) {
    const times = overlay.time_s;
    let lo = 0, hi = times.length - 1;
    if (hi < 0 || t < times[0] - 0.05) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (times[mid] <= t + 1e-3) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  function drawPoints(ctx, flat, edges, scale, colour, radius) {
    if (!flat) return;
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = Math.max(1.5, 2 * scale);
    ctx.beginPath();
    for (const [a, b] of edges) {
      const ax = flat[2 * a], ay = flat[2 * a + 1], bx = flat[2 * b], by = flat[2 * b + 1];
      if (ax < 0 || bx < 0) continue;
      ctx.moveTo(ax * scale, ay * scale);
      ctx.lineTo(bx * scale, by * scale);
    }
    ctx.stroke();
    if (radius > 0) {
      for (let i = 0; i < flat.length; i += 2) {
        if (flat[i] < 0) continue;
        ctx.beginPath();
        ctx.arc(flat[i] * scale, flat[i + 1] * scale, radius, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }

  function draw() {
    if (!overlay || !canvas) return;
    const width = video.clientWidth, height = video.clientHeight;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    // The video keeps its aspect ratio inside its box: find the drawn picture's rectangle.
    const scale = Math.min(width / overlay.width, height / overlay.height);
    const offsetX = (width - overlay.width * scale) / 2, offsetY = (height - overlay.height * scale) / 2;
    const i = frameAt(video.currentTime);
    if (i < 0) return;
    ctx.save();
    ctx.translate(offsetX, offsetY);
    if (document.getElementById("show-skeleton")?.checked) {
      drawPoints(ctx, overlay.pose[i], overlay.pose_edges, scale, "rgba(240, 168, 0, 0.95)", 3);
    }
    if (document.getElementById("show-face")?.checked) {
      drawPoints(ctx, overlay.face[i], overlay.face_edges, scale, "rgba(0, 200, 255, 0.9)", 0);
    }
    ctx.restore();
  }

  function loop() {
    draw();
    if (!video.paused && !video.ended) requestAnimationFrame(loop);
  }

  function loadOverlay() {
    const url = video && video.dataset.overlayUrl;
    if (!url) return;
    statusLine.textContent = "Loading the skeleton…";
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
      .then(({ ok, body }) => {
        if (!ok) throw new Error(body.message || "The skeleton could not be loaded.");
        overlay = body;
        statusLine.textContent = "";
        draw();
      })
      .catch((error) => { statusLine.textContent = error.message; });
  }

  if (video) {
    video.addEventListener("play", () => requestAnimationFrame(loop));
    ["seeked", "timeupdate", "loadedmetadata", "pause"].forEach((name) => video.addEventListener(name, draw));
    window.addEventListener("resize", draw);
    document.querySelectorAll("#show-skeleton, #show-face").forEach((box) => box.addEventListener("change", draw));
    loadOverlay();
  }

  // ---- timeline ----
  function drawTimeline() {
    const source = document.getElementById("timeline-data");
    if (!source || !timelineDiv || !window.Plotly) return;
    const figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(timelineDiv, figure.data, figure.layout, {
      displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"],
    }).then(() => {
      timelineDiv.on("plotly_click", (event) => {
        const point = event.points && event.points[0];
        if (point && Array.isArray(point.customdata)) {
          seek(Number(point.customdata[1]));
          const item = document.getElementById("event-" + point.customdata[0]);
          if (item) item.classList.add("current");
        }
      });
    });
    if (video) {
      let last = -1;
      video.addEventListener("timeupdate", () => {
        const t = video.currentTime;
        if (Math.abs(t - last) < 0.2) return;
        last = t;
        window.Plotly.relayout(timelineDiv, { "shapes[0].x0": t, "shapes[0].x1": t });
      });
    }
  }
  drawTimeline();

  // ---- events: seek and review ----
  document.querySelectorAll(".event-seek").forEach((button) => {
    button.addEventListener("click", () => {
      document.querySelectorAll(".event.current").forEach((li) => li.classList.remove("current"));
      button.closest(".event").classList.add("current");
      seek(Number(button.dataset.seek));
    });
  });

  document.querySelectorAll(".review-form").forEach((form) => {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form, event.submitter);
      const error = form.querySelector(".review-error");
      const status = form.closest(".event").querySelector(".review-status");
      error.hidden = true;
      fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": data.get("csrfmiddlewaretoken") },
      })
        .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
        .then(({ ok, body }) => {
          if (!ok) throw new Error(body.message || "The review could not be saved.");
          status.textContent = body.status;
          status.className = "review-status reviewed review-" + body.decision;
          form.querySelector("details")?.removeAttribute("open");
        })
        .catch((e) => { error.textContent = e.message; error.hidden = false; });
    });
  });
})();
