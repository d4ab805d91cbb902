// Session page: a drag along the timeline's events row marks an event the model missed, as in
// BORIS and ELAN; on a semi-guided visit a drag along the tasks row marks a task. The dragged
// interval fills the form of that row ("Add an event the model missed", or "Mark a task with its
// times"; start and end in seconds of the video), which opens on the label or task to choose;
// nothing is saved until the clinician adds it. A click without a drag still plays the bar under
// it (session.js).
(function () {
  "use strict";

  const graph = document.getElementById("timeline");
  if (!graph) return;
  const MIN_DRAG_PX = 4;
  let drag = null;
  let band = null;

  // The rows a drag marks on: the events row (Plotly's first subplot) and, when the figure says
  // it has one (layout.meta.tasks_row), the tasks row; each with its form and the field to choose.
  function rows() {
    const layout = graph._fullLayout;
    if (!layout) return [];
    const out = [];
    const events = document.getElementById("add-event-form");
    if (events && layout.xaxis && layout.yaxis) {
      out.push({ x: layout.xaxis, y: layout.yaxis, form: events, choose: "label",
        where: "\u201cAdd an event the model missed\u201d", verb: "add the event" });
    }
    const meta = (graph.layout && graph.layout.meta) || layout.meta || {};
    const tasks = document.getElementById("task-mark-form");
    const n = meta.tasks_row;
    if (tasks && n && layout["xaxis" + n] && layout["yaxis" + n]) {
      out.push({ x: layout["xaxis" + n], y: layout["yaxis" + n], form: tasks, choose: "task_code",
        where: "\u201cMark a task with its times\u201d", verb: "mark the task" });
    }
    return out;
  }

  function rowAt(event) {
    const rect = graph.getBoundingClientRect();
    for (const row of rows()) {
      const px = event.clientX - rect.left - row.x._offset;
      const py = event.clientY - rect.top - row.y._offset;
      if (px >= 0 && px <= row.x._length && py >= 0 && py <= row.y._length) {
        return { ...row, px, axis: row.x, top: row.y._offset, height: row.y._length };
      }
    }
    return null;
  }

  function seconds(axis, px) {
    const range = axis.range;
    const t = axis.p2d(Math.max(0, Math.min(axis._length, px)));
    return Math.max(Math.min(range[0], range[1]), Math.min(Math.max(range[0], range[1]), t));
  }

  function showBand(start, now) {
    if (!band) {
      band = document.createElement("div");
      band.className = "timeline-drag-band";
      graph.appendChild(band);
    }
    const left = drag.axis._offset + Math.min(start, now);
    band.style.left = left + "px";
    band.style.width = Math.abs(now - start) + "px";
    band.style.top = drag.top + "px";
    band.style.height = drag.height + "px";
    band.hidden = false;
  }

  graph.addEventListener("mousedown", (event) => {
    if (event.button !== 0 || (graph._fullLayout && graph._fullLayout.dragmode)) return;
    const where = rowAt(event);
    if (where) drag = { ...where, startPx: where.px };
  }, true);

  window.addEventListener("mousemove", (event) => {
    if (!drag) return;
    const rect = graph.getBoundingClientRect();
    const px = Math.max(0, Math.min(drag.axis._length, event.clientX - rect.left - drag.axis._offset));
    if (Math.abs(px - drag.startPx) >= MIN_DRAG_PX) showBand(drag.startPx, px);
  });

  window.addEventListener("mouseup", (event) => {
    if (!drag) return;
    const row = drag;
    const rect = graph.getBoundingClientRect();
    const px = event.clientX - rect.left - row.axis._offset;
    const moved = Math.abs(px - row.startPx) >= MIN_DRAG_PX;
    const a = seconds(row.axis, row.startPx), b = seconds(row.axis, px);
    drag = null;
    if (band) band.hidden = true;
    if (!moved) return;
    const form = row.form;
    form.elements.start_s.value = Math.min(a, b).toFixed(2);
    form.elements.end_s.value = Math.max(a, b).toFixed(2);
    const details = form.closest("details");
    if (details) details.open = true;
    const status = document.getElementById("timeline-drag-status");
    if (status) {
      status.textContent = "From " + Math.min(a, b).toFixed(1) + " s to " + Math.max(a, b).toFixed(1) +
        " s: choose " + (row.choose === "label" ? "its label" : "the task") + " in " + row.where +
        ", then " + row.verb + ".";
    }
    form.scrollIntoView({ block: "nearest" });
    form.elements[row.choose].focus({ preventScroll: true });
  });
})();
