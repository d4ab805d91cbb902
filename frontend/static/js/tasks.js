// Session page, semi-guided visits: a task's number key marks its start, the same key again
// its end, while the video plays (as events are coded with the ethogram's keys). Saved at once;
// the page then reloads at the same place (session.js restores it).
(function () {
  "use strict";

  const panel = document.getElementById("task-panel");
  const video = document.getElementById("session-video");
  const status = document.getElementById("task-status");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (!panel || !video || !csrf) return;
  const tasks = Array.from(panel.querySelectorAll(".task-keys li[data-key]"))
    .filter((item) => item.dataset.key)
    .map((item) => ({ code: item.dataset.code, key: item.dataset.key, name: item.dataset.name, item }));
  const open = {};  // task code -> start time (s)

  function setState(task, text) {
    const state = task.item.querySelector(".task-state");
    if (state) state.textContent = text;
  }

  function reloadKeepingPlace() {
    sessionStorage.setItem("session-place", JSON.stringify({
      path: location.pathname, t: video.currentTime, y: window.scrollY,
    }));
    location.reload();
  }

  function save(task, start, end) {
    const body = new FormData();
    body.append("task_code", task.code);
    body.append("start_s", start.toFixed(3));
    body.append("end_s", end.toFixed(3));
    return fetch(panel.dataset.markUrl, {
      method: "POST", body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf.value },
    })
      .then((r) => r.json().then((data) => ({ ok: r.ok, data })))
      .then(({ ok, data }) => {
        status.textContent = data.message || "";
        if (ok) setTimeout(reloadKeepingPlace, 400);
      })
      .catch(() => { status.textContent = "The task could not be saved; try again."; });
  }

  function typing(target) {
    return target && (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName));
  }

  document.addEventListener("keydown", (event) => {
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      tasks.forEach((task) => { if (open[task.code] !== undefined) { delete open[task.code]; setState(task, ""); } });
      return;
    }
    const task = tasks.find((item) => item.key === event.key);
    if (!task) return;
    event.preventDefault();
    const now = video.currentTime;
    if (open[task.code] === undefined) {
      open[task.code] = now;
      setState(task, "started at " + now.toFixed(1) + " s");
      status.textContent = task.name + " started at " + now.toFixed(1) + " s; press " + task.key + " again when it ends.";
    } else {
      const start = Math.min(open[task.code], now), end = Math.max(open[task.code], now);
      delete open[task.code];
      setState(task, "");
      save(task, start, end);
    }
  });

  panel.querySelectorAll(".task-seek").forEach((button) => {
    button.addEventListener("click", () => {
      video.currentTime = Number(button.dataset.seek);
      video.play().catch(() => {});
    });
  });
})();
