// Session page: a drag along the timeline's events row marks an event the model missed, as in
// BORIS and ELAN. The dragged interval fills the "Add an event the model missed" form (start and
// end in seconds of the video), which opens on the label to choose; nothing is saved until the
// clinician adds it. A click without a drag still plays the bar under it (session.js).
(function () {
  "use strict";

  const graph = document.getElementById("timeline");
  const form = document.getElementById("add-event-form");
  if (!graph || !form) return;
  const MIN_DRAG_PX = 4;
  let drag = null;
  let band = null;

  // The events row's axes (Plotly's first subplot) and where the plot sits in the graph.
  function axes() {
    const layout = graph._fullLayout;
    return layout && layout.xaxis && layout.yaxis ? { x: layout.xaxis, y: layout.yaxis } : null;
  }

  function inEventsRow(event) {
    const found = axes();
    if (!found) return null;
    const rect = graph.getBoundingClientRect();
    const px = event.clientX - rect.left - found.x._offset;
    const py = event.clientY - rect.top - found.y._offset;
    if (px < 0 || px > found.x._length || py < 0 || py > found.y._length) return null;
    return { px, axis: found.x, top: found.y._offset, height: found.y._length };
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
    const where = inEventsRow(event);
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
    const rect = graph.getBoundingClientRect();
    const px = event.clientX - rect.left - drag.axis._offset;
    const moved = Math.abs(px - drag.startPx) >= MIN_DRAG_PX;
    const a = seconds(drag.axis, drag.startPx), b = seconds(drag.axis, px);
    drag = null;
    if (band) band.hidden = true;
    if (!moved) return;
    form.elements.start_s.value = Math.min(a, b).toFixed(2);
    form.elements.end_s.value = Math.max(a, b).toFixed(2);
    const details = form.closest("details");
    if (details) details.open = true;
    const status = document.getElementById("timeline-drag-status");
    if (status) {
      status.textContent = "From " + Math.min(a, b).toFixed(1) + " s to " + Math.max(a, b).toFixed(1) +
        " s: choose its label in \u201cAdd an event the model missed\u201d, then add the event.";
    }
    form.scrollIntoView({ block: "nearest" });
    form.elements.label.focus({ preventScroll: true });
  });
})();
