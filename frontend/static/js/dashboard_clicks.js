// Dashboard: clicking a session's point opens that session's page. A Dash clientside callback
// (frontend/dashboards/app.py names it "sessions.open") kept in a static file, because the
// Content-Security-Policy runs no inline script except Dash's nonced bootstrap.
(function () {
  "use strict";
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.sessions = {
    open: function (click) {
      const point = click && click.points && click.points[0];
      const sessionId = point ? Number(point.customdata) : NaN;
      if (Number.isInteger(sessionId) && sessionId > 0) window.location.assign("/sessions/" + sessionId + "/");
      return window.dash_clientside.no_update;
    },
  };
})();
