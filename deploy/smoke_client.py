#!/usr/bin/env python3
"""The people of deploy/smoke.sh, talking to the stack through nginx only (HTTPS on 127.0.0.1).

Standard library only, so that it runs with any Python 3.11 on the host. Each command prints one
JSON line for smoke.sh and exits non-zero with a sentence when something is not as it should be.

  smoke_client.py consent CODE                    uploader: the patient's consent to store and analyse
  smoke_client.py session CODE                    uploader: a new session; → {"session"}
  smoke_client.py upload SESSION VIDEO            uploader: chunked upload, completed; → {"job"}
  smoke_client.py wait-job JOB [--until running|finished] [--min-progress N]
  smoke_client.py metrics SESSION                 clinician: the session-level metrics; → {metric: value}
  smoke_client.py jobs SESSION                    clinician: the session's analysis jobs

Environment: SMOKE_URL (https://localhost:PORT), SMOKE_CA (the self-signed certificate, trusted
for that name only), SMOKE_PASSWORD (the demo users' password).
"""

from __future__ import annotations

import argparse
import hashlib
import html.parser
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse
from datetime import date
from pathlib import Path

UPLOADER = "demo-uploader"
CLINICIAN = "demo-clinician"
POLL_S = 2.0


class SmokeFailure(Exception):
    pass


class _Page(html.parser.HTMLParser):
    """What the smoke test reads off a page: form tokens, select options, JSON script elements."""

    def __init__(self):
        super().__init__()
        self.csrf = None
        self.options: list[tuple[str, str, str]] = []  # (select name, value, text)
        self._select: str | None = None
        self.scripts: dict[str, str] = {}
        self._in_option: str | None = None
        self._in_script: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "csrfmiddlewaretoken":
            self.csrf = attrs.get("value")
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and attrs.get("value"):
            self._in_option = attrs["value"]
            self.options.append((self._select or "", attrs["value"], ""))
        elif tag == "script" and attrs.get("type") == "application/json" and attrs.get("id"):
            self._in_script = attrs["id"]
            self.scripts[self._in_script] = ""

    def handle_endtag(self, tag):
        if tag == "option":
            self._in_option = None
        elif tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_option is not None:
            select, value, text = self.options[-1]
            self.options[-1] = (select, value, text + data)
        if self._in_script is not None:
            self.scripts[self._in_script] += data


class _Connection(http.client.HTTPConnection):
    """HTTPS to 127.0.0.1 only, the certificate checked for the site's name (e.g. localhost)."""

    def __init__(self, port: int, context: ssl.SSLContext, server_name: str):
        super().__init__("127.0.0.1", port, timeout=300)
        self.context, self.server_name = context, server_name

    def connect(self):
        super().connect()
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.server_name)


class Browser:
    """One person's HTTPS session with the stack: cookies, CSRF token, Referer, like a browser."""

    def __init__(self, base_url: str, ca_file: str):
        parts = urllib.parse.urlsplit(base_url)
        self.base = base_url.rstrip("/")
        self.host_header = parts.netloc
        self.port = parts.port or 443
        self.context = ssl.create_default_context(cafile=ca_file)
        self.server_name = parts.hostname
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        connection = _Connection(self.port, self.context, self.server_name)
        all_headers = {
            "Host": self.host_header,
            "Referer": self.base + "/",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **(headers or {}),
        }
        if "csrftoken" in self.cookies and method != "GET":
            all_headers.setdefault("X-CSRFToken", self.cookies["csrftoken"])
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response.status, dict(response.getheaders()), data

    def page(self, path: str) -> _Page:
        status, _, data = self.request("GET", path)
        if status != 200:
            raise SmokeFailure(f"GET {path} answered {status}")
        parsed = _Page()
        parsed.feed(data.decode())
        return parsed

    def post_form(self, path: str, fields: list[tuple[str, str]], expect=(302,)) -> tuple[int, dict]:
        body = urllib.parse.urlencode(fields).encode()
        status, headers, data = self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status not in expect:
            raise SmokeFailure(f"POST {path} answered {status}: {data[:400]!r}")
        return status, headers

    def json(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        status, _, data = self.request(method, path, body, headers)
        if status >= 400:
            raise SmokeFailure(f"{method} {path} answered {status}: {data[:400]!r}")
        return json.loads(data)

    def log_in(self, username: str, password: str) -> None:
        token = self.page("/login/").csrf
        _, headers = self.post_form(
            "/login/", [("csrfmiddlewaretoken", token), ("username", username), ("password", password)]
        )
        if "sessionid" not in self.cookies:
            raise SmokeFailure(f"{username} could not log in (redirected to {headers.get('Location')})")


def browser_for(username: str) -> Browser:
    browser = Browser(os.environ["SMOKE_URL"], os.environ["SMOKE_CA"])
    browser.log_in(username, os.environ["SMOKE_PASSWORD"])
    return browser


def consent(code: str) -> dict:
    """The uploader records the patient's consent to store and analyse videos (the signed form)."""
    uploader = browser_for(UPLOADER)
    token = uploader.page(f"/patients/{code}/").csrf
    uploader.post_form(
        f"/patients/{code}/consent/",
        [
            ("csrfmiddlewaretoken", token),
            ("scopes", "store_video"),
            ("scopes", "analyse"),
            ("given_on", date.today().isoformat()),
            ("note", "Signed at the smoke test's visit."),
        ],
    )
    return {"consent": ["store_video", "analyse"]}


def session(code: str) -> dict:
    """The uploader registers a session on the upload page (protocol, date, clinician)."""
    uploader = browser_for(UPLOADER)
    page = uploader.page(f"/upload/?patient={code}")
    protocols = [
        value for select, value, text in page.options if select == "protocol" and text.strip() == "Free play"
    ]
    clinicians = [value for select, value, _ in page.options if select == "clinician"]
    if not protocols or not clinicians:
        raise SmokeFailure(f"no protocol or clinician to choose on the upload page: {page.options}")
    _, headers = uploader.post_form(
        f"/upload/sessions/new/?patient={code}",
        [
            ("csrfmiddlewaretoken", page.csrf),
            ("protocol", protocols[0]),
            ("clinician", clinicians[0]),
            ("session_date", date.today().isoformat()),
            ("notes", ""),
        ],
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(headers.get("Location", "")).query)
    if "session" not in query:
        raise SmokeFailure(f"no session was registered (redirected to {headers.get('Location')})")
    return {"session": int(query["session"][0])}


def upload(session: int, video: Path) -> dict:
    """The upload page's protocol: declare name, size and SHA-256, send chunks, complete."""
    uploader = browser_for(UPLOADER)
    page = uploader.page(f"/upload/?session={session}")
    config = json.loads(page.scripts["upload-config"])
    data = video.read_bytes()
    nil = "00000000-0000-0000-0000-000000000000"
    started = uploader.json(
        "POST",
        config["startUrl"],
        json.dumps(
            {
                "session": session,
                "filename": video.name,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        ).encode(),
        "application/json",
    )
    upload_id, offset, chunks = started["id"], started["received_bytes"], 0
    while offset < len(data):
        chunk = data[offset : offset + config["chunkBytes"]]
        answer = uploader.json(
            "POST",
            config["chunkUrl"].replace(nil, upload_id) + f"?offset={offset}",
            chunk,
            "application/octet-stream",
        )
        offset, chunks = answer["received_bytes"], chunks + 1
    status = uploader.json("POST", config["completeUrl"].replace(nil, upload_id))
    if not status.get("job"):
        raise SmokeFailure(f"the completed upload queued no analysis: {status}")
    return {"upload": upload_id, "chunks": chunks, "bytes": len(data), "job": status["job"]["id"]}


def wait_job(job: int, until: str, min_progress: int, timeout_s: float) -> dict:
    """Poll the job as the upload page does, until it runs (past min_progress %) or finishes."""
    uploader = browser_for(UPLOADER)
    deadline = time.monotonic() + timeout_s
    status: dict = {}
    while time.monotonic() < deadline:
        status = uploader.json("GET", f"/upload/api/jobs/{job}/")
        if status["finished"]:
            if until == "running":
                raise SmokeFailure(f"job {job} finished before it could be caught running: {status}")
            if status["status"] != "succeeded":
                raise SmokeFailure(f"job {job} did not succeed: {status}")
            return status
        if until == "running" and status["status"] == "running" and status["progress"] >= min_progress:
            return status
        time.sleep(POLL_S)
    raise SmokeFailure(f"job {job} not {until} after {timeout_s:.0f} s: {status}")


def metrics(session: int) -> dict:
    """What a clinician reads: the session-level metrics, each once (one finished analysis)."""
    clinician = browser_for(CLINICIAN)
    found: dict[str, float | None] = {}
    path = f"/api/v1/metric-samples/?session={session}&session_level=true"
    while path:
        page = clinician.json("GET", path)
        for sample in page["results"]:
            if sample["metric"] in found:
                raise SmokeFailure(f"metric {sample['metric']} appears twice for session {session}")
            found[sample["metric"]] = sample["value"]
        path = (
            urllib.parse.urlsplit(page["next"])._replace(scheme="", netloc="").geturl()
            if page.get("next")
            else ""
        )
    if not found:
        raise SmokeFailure(f"no metric is readable for session {session}")
    return found


def jobs(session: int) -> list[dict]:
    clinician = browser_for(CLINICIAN)
    page = clinician.json("GET", "/api/v1/jobs/?page_size=1000")
    return [
        {key: job[key] for key in ("id", "status", "progress")}
        for job in page["results"]
        if job["session"] == session
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("consent").add_argument("code")
    commands.add_parser("session").add_argument("code")
    command = commands.add_parser("upload")
    command.add_argument("session", type=int)
    command.add_argument("video", type=Path)
    command = commands.add_parser("wait-job")
    command.add_argument("job", type=int)
    command.add_argument("--until", choices=("running", "finished"), default="finished")
    command.add_argument("--min-progress", type=int, default=0)
    command.add_argument("--timeout-s", type=float, default=600)
    commands.add_parser("metrics").add_argument("session", type=int)
    commands.add_parser("jobs").add_argument("session", type=int)
    args = parser.parse_args()
    try:
        if args.command == "consent":
            result = consent(args.code)
        elif args.command == "session":
            result = session(args.code)
        elif args.command == "upload":
            result = upload(args.session, args.video)
        elif args.command == "wait-job":
            result = wait_job(args.job, args.until, args.min_progress, args.timeout_s)
        elif args.command == "metrics":
            result = metrics(args.session)
        else:
            result = jobs(args.session)
    except SmokeFailure as failure:
        print(f"smoke: {failure}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
