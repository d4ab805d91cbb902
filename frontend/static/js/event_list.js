// Session page: an event coded with the keyboard joins the events list and its count at once,
// as the page would show it after a reload (in time order, with "Take back"), so the list, the
// count and the timeline bar agree while the clinician keeps coding.
(function () {
  "use strict";

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The list, made in place of the "no event" line when this is the session's first event.
  function eventList() {
    let list = document.querySelector(".session-events .event-list");
    if (list) return list;
    list = element("ol", "event-list");
    const empty = document.querySelector(".session-events > p:not(.hint)");
    const panel = document.getElementById("coding-panel");
    if (empty) empty.replaceWith(list); else if (panel) panel.after(list);
    return list;
  }

  function takeBackForm(config, id) {
    const form = element("form", "inline-form");
    form.method = "post";
    form.action = config.dataset.takeBackUrl.replace(/\/0\/remove$/, "/" + id + "/remove");
    const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (csrf) form.appendChild(csrf.cloneNode());
    const button = element("button", "button small secondary", "Take back");
    button.type = "submit";
    form.appendChild(button);
    return form;
  }

  /** Lists a saved coded event: { id, name, start, end } (seconds); onPlay(start) plays it. */
  function addCoded(event, onPlay) {
    const config = document.getElementById("coding-config");
    const item = element("li", "event event-added");
    item.id = "coded-" + event.id;
    item.dataset.start = String(event.start);
    const play = element("button", "event-seek");
    play.type = "button";
    play.dataset.seek = event.start.toFixed(3);
    play.setAttribute("aria-label", "Play " + event.name + " from " + event.start.toFixed(1) + " seconds");
    play.append(
      element("span", "event-time", "\u25b6 " + event.start.toFixed(1) + "\u2013" + event.end.toFixed(1) + " s"),
      " ", element("span", "event-kind", event.name),
    );
    play.addEventListener("click", () => onPlay(event.start));
    item.append(play, element("p", "review-status reviewed review-added", "Added by you"));
    if (config && config.dataset.takeBackUrl) item.appendChild(takeBackForm(config, event.id));
    const list = eventList();
    const after = Array.from(list.children).find((li) => {
      const seek = li.querySelector(".event-seek");
      return seek && Number(seek.dataset.seek) > event.start;
    });
    list.insertBefore(item, after || null);
    const count = document.getElementById("n-counted");
    if (count) count.textContent = String(Number(count.textContent) + 1);
    return item;
  }

  window.sessionEventList = { addCoded };
})();
