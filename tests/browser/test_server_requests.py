"""The live server's request tracking, which the browser tests' clean-up relies on: emptying
the tables waits for the request in flight and holds back those that arrive meanwhile."""

from __future__ import annotations

import threading

from tests.browser.conftest import ServerRequests

NOT_YET = 0.2  # how long a blocked thread is given to prove it is still blocked


class Body(list):
    def __init__(self, log, path):
        super().__init__([b"ok"])
        self.log, self.path = log, path

    def close(self):
        self.log.append(f"closed {self.path}")


def test_clean_up_waits_for_the_request_in_flight_and_holds_new_ones_back():
    log, started, release = [], threading.Event(), threading.Event()

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        log.append(f"started {path}")
        if path == "/slow":
            started.set()
            release.wait(5)
        start_response("200 OK", [])
        return Body(log, path)

    requests = ServerRequests(app)

    def get(path):
        body = requests({"REQUEST_METHOD": "GET", "PATH_INFO": path}, lambda *args: None)
        list(body)
        body.close()

    def clean():
        with requests.held_back():
            log.append("cleaning")
            late.start()
            late.join(NOT_YET)
            log.append("cleaned")

    slow = threading.Thread(target=get, args=("/slow",))
    late = threading.Thread(target=get, args=("/late",))
    cleaner = threading.Thread(target=clean)
    slow.start()
    assert started.wait(5)
    cleaner.start()
    cleaner.join(NOT_YET)
    assert cleaner.is_alive() and "cleaning" not in log  # waits for /slow
    release.set()
    for thread in (slow, cleaner, late):
        thread.join(5)
    assert log == [
        "started /slow",
        "closed /slow",
        "cleaning",
        "cleaned",
        "started /late",
        "closed /late",
    ]
    assert requests.handling == []


def test_a_response_the_server_drops_without_closing_still_counts_as_done():
    requests = ServerRequests(lambda environ, start_response: [b"ok"])
    body = requests({"REQUEST_METHOD": "POST", "PATH_INFO": "/login"}, lambda *args: None)
    assert requests.handling == ["POST /login"]
    del body  # as when werkzeug fails reading the rest of a dropped connection
    assert requests.handling == []
