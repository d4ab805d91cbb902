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

  // Event bars and "play from" buttons play the video from the event's start.
  function seek(seconds, play) {
    if (!video) return;
    video.currentTime = seconds;
    video.focus({ preventScroll: true });
    if (play) video.play().catch(() => {});
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
    if (choosing || showPeople) drawPeople(ctx, scale);
    ctx.restore();
  }

  // ---- the tracked people, for choosing the patient ----
  let choosing = false, showPeople = false;
  function peopleAt(t) {
    const found = [];
    for (const [id, boxes] of Object.entries((overlay && overlay.people) || {})) {
      let best = null;
      for (const box of boxes) if (Math.abs(box[0] - t) <= 0.75 && (!best || Math.abs(box[0] - t) < Math.abs(best[0] - t))) best = box;
      if (best) found.push({ id, box: best.slice(1) });
    }
    return found;
  }
  function drawPeople(ctx, scale) {
    ctx.font = "13px system-ui, sans-serif";
    peopleAt(video.currentTime).forEach((person) => {
      const [x, y, w, h] = person.box.map((v) => v * scale);
      const patient = person.id === overlay.patient_id;
      ctx.setLineDash(patient ? [] : [6, 4]);
      ctx.lineWidth = 3;
      ctx.strokeStyle = patient ? "#f0a800" : "#e9edf1";
      ctx.strokeRect(x, y, w, h);
      const label = patient ? "analysed as the patient" : "another person";
      ctx.fillStyle = "rgba(0, 0, 0, 0.65)";
      ctx.fillRect(x, Math.max(0, y - 18), ctx.measureText(label).width + 8, 18);
      ctx.fillStyle = "#fff";
      ctx.fillText(label, x + 4, Math.max(13, y - 5));
    });
    ctx.setLineDash([]);
  }
  function peopleCount() {
    return Object.keys((overlay && overlay.people) || {}).length;
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
        const choice = document.getElementById("patient-choice");
        if (choice && peopleCount() > 1) {
          showPeople = true;
          // The prompt's own "No, choose the patient" replaces the plain button while it asks.
          if (choice.dataset.confirmed !== "1") {
            document.getElementById("patient-prompt").hidden = false;
            document.getElementById("choose-patient").hidden = true;
          }
        }
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
      displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"], doubleClick: false,
    }).then(() => {
      timelineDiv.on("plotly_click", (event) => {
        const point = event.points && event.points[0];
        if (point && Array.isArray(point.customdata)) {
          seek(Number(point.customdata[1]), true);
          const item = document.getElementById(String(point.customdata[0]));
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
  // Charts follow their container when the window or the layout changes size.
  if (timelineDiv && window.ResizeObserver) {
    new ResizeObserver(() => { if (window.Plotly && timelineDiv.data) window.Plotly.Plots.resize(timelineDiv); })
      .observe(timelineDiv);
  }

  // A review changes counts, the list and the timeline: reload them, back at the same place.
  function reloadKeepingPlace() {
    sessionStorage.setItem("session-place", JSON.stringify({
      path: location.pathname, t: video ? video.currentTime : 0, y: window.scrollY,
    }));
    location.reload();
  }
  const place = JSON.parse(sessionStorage.getItem("session-place") || "null");
  if (place && place.path === location.pathname) {
    sessionStorage.removeItem("session-place");
    window.scrollTo(0, place.y);
    if (video) video.addEventListener("loadedmetadata", () => { video.currentTime = place.t; }, { once: true });
  }

  // Choosing the patient: pause, show everyone tracked, click the patient.
  const choice = document.getElementById("patient-choice");
  function postChoice(body) {
    const status = document.getElementById("choose-status");
    body.append("csrfmiddlewaretoken", (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "");
    return fetch(choice.dataset.url, {
      method: "POST", body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": body.get("csrfmiddlewaretoken") },
    })
      .then((r) => r.json().then((data) => ({ ok: r.ok, data })))
      .then(({ ok, data }) => {
        status.textContent = data.message || "";
        if (ok) setTimeout(() => location.reload(), 600);
      })
      .catch(() => { status.textContent = "The choice could not be saved; try again."; });
  }
  if (choice && video && canvas) {
    choice.querySelectorAll("[data-choose]").forEach((button) => button.addEventListener("click", () => {
      video.pause();
      choosing = true;
      canvas.width = video.clientWidth;
      canvas.height = video.clientHeight;
      canvas.classList.add("choosing");
      document.getElementById("choose-status").textContent = "Click on the patient in the video (pause where they are visible).";
      draw();
    }));
    document.getElementById("confirm-patient")?.addEventListener("click", () => {
      const body = new FormData();
      body.append("confirm", "1");
      postChoice(body);
    });
    canvas.addEventListener("click", (event) => {
      if (!choosing) return;
      const rect = canvas.getBoundingClientRect();
      const width = Number(video.dataset.width), height = Number(video.dataset.height);
      const scale = Math.min(rect.width / width, rect.height / height);
      const x = (event.clientX - rect.left - (rect.width - width * scale) / 2) / scale;
      const y = (event.clientY - rect.top - (rect.height - height * scale) / 2) / scale;
      const body = new FormData();
      body.append("x_px", x.toFixed(1));
      body.append("y_px", y.toFixed(1));
      body.append("time_s", video.currentTime.toFixed(3));
      choosing = false;
      canvas.classList.remove("choosing");
      postChoice(body);
    });
  }

  // The calibration's start from where the video stands (end 3 s later, editable).
  const fromVideo = document.getElementById("calibration-from-video");
  if (fromVideo && video) {
    fromVideo.addEventListener("click", () => {
      const form = document.getElementById("gaze-calibration-form");
      form.elements.start_s.value = video.currentTime.toFixed(1);
      form.elements.end_s.value = Math.min(video.duration || Infinity, video.currentTime + 3).toFixed(1);
    });
  }

  // ---- keyboard coding, as in BORIS: a key per label starts and stops an event ----
  const config = document.getElementById("coding-config");
  const ethogramSource = document.getElementById("ethogram-data");
  const codingStatus = document.getElementById("coding-status");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  const ethogram = ethogramSource ? JSON.parse(ethogramSource.textContent) : [];
  const open = {};  // label code -> start time (s)
  const codingOn = Boolean(video && document.getElementById("coding-panel"));

  function setState(code, text) {
    const item = document.querySelector('.ethogram-keys li[data-code="' + code + '"] .coding-state');
    if (item) item.textContent = text;
  }

  function saveCoded(label, start, end) {
    const body = new FormData();
    body.append("label", label.code);
    body.append("start_s", start.toFixed(3));
    body.append("end_s", end.toFixed(3));
    return fetch(config.dataset.addUrl, {
      method: "POST", body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
    })
      .then((r) => r.json().then((data) => ({ ok: r.ok, data })))
      .then(({ ok, data }) => {
        if (!ok) throw new Error(data.message || "The event could not be saved.");
        codingStatus.textContent = data.message;
        // The list and its count change at once, as the timeline bar does.
        if (window.sessionEventList) window.sessionEventList.addCoded({ id: data.id, name: label.name, start, end }, (t) => seek(t, true));
        if (window.Plotly && timelineDiv && timelineDiv.data) {
          window.Plotly.addTraces(timelineDiv, {
            type: "bar", orientation: "h", base: [start], x: [Math.max(end - start, 0.2)], y: [label.name],
            marker: { color: "#0f6e6e" }, customdata: [["coded-" + data.id, start]], showlegend: false,
            hovertemplate: label.name + "<br>" + start.toFixed(1) + " to " + end.toFixed(1) + " s<br>added by you<extra></extra>",
            xaxis: "x", yaxis: "y",
          });
        }
      })
      .catch((e) => { codingStatus.textContent = e.message; });
  }

  function typing(target) {
    return target && (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName));
  }

  if (codingOn) {
    const frame = 1 / (Number(config.dataset.fps) || 25);
    document.addEventListener("keydown", (event) => {
      if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === " ") {
        event.preventDefault();
        if (video.paused) video.play().catch(() => {}); else video.pause();
        return;
      }
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        video.pause();
        const step = event.key === "ArrowRight" ? frame : -frame;
        video.currentTime = Math.max(0, Math.min(video.duration || Infinity, video.currentTime + step));
        return;
      }
      if (event.key === "Escape") {
        Object.keys(open).forEach((code) => { delete open[code]; setState(code, ""); });
        codingStatus.textContent = "Events being coded were dropped.";
        return;
      }
      const label = ethogram.find((item) => item.key === event.key.toLowerCase());
      if (!label) return;
      event.preventDefault();
      const now = video.currentTime;
      if (open[label.code] === undefined) {
        open[label.code] = now;
        setState(label.code, "started at " + now.toFixed(1) + " s");
        codingStatus.textContent = label.name + " started at " + now.toFixed(1) + " s; press " + label.key.toUpperCase() + " again to stop it.";
      } else {
        const start = Math.min(open[label.code], now), end = Math.max(open[label.code], now);
        delete open[label.code];
        setState(label.code, "");
        saveCoded(label, start, end);
      }
    });
  }

  // ---- events: seek and review ----
  document.querySelectorAll(".event-seek").forEach((button) => {
    button.addEventListener("click", () => {
      document.querySelectorAll(".event.current").forEach((li) => li.classList.remove("current"));
      button.closest(".event").classList.add("current");
      seek(Number(button.dataset.seek), true);
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
          reloadKeepingPlace();
        })
        .catch((e) => { error.textContent = e.message; error.hidden = false; });
    });
  });
})();
