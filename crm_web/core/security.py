"""Page-wide defences: response headers, the same-origin check on unsafe methods, and the
session cookie's settings. CSRF tokens themselves are Flask-WTF's CSRFProtect (web.py)."""

from __future__ import annotations

import copy
import functools
import time
from datetime import UTC, datetime, timedelta

from flask import Flask, abort, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature

# No 'unsafe-inline' anywhere: no inline <script>, no style="" attributes, no on*="" handlers.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CROSS_SITE_MESSAGE = "This request came from another site, so it was refused."


def own_origins() -> set[str]:
    """The origin this request was addressed to, plus any configured public origins (behind a
    proxy that terminates TLS, the app sees http:// while browsers send https://)."""
    return {f"{request.scheme}://{request.host}".lower(), *current_app.config["TRUSTED_ORIGINS"]}


def is_cross_site() -> bool:
    """True when the browser says the request was started by a page from another origin.
    Origin is sent on every cross-origin POST by current browsers; Sec-Fetch-Site covers the
    rest. Clients that send neither (curl, the test client) are judged by the CSRF token alone."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.rstrip("/").lower() not in own_origins()
    return request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")


def refuse_cross_site():
    if request.method not in SAFE_METHODS and is_cross_site():
        g.refused_cross_site = True
        abort(403, description=CROSS_SITE_MESSAGE)


# Paths that never use the session: the REST API authenticates each call by its bearer token
# (a session cookie is no credential there), so its calls neither verify nor sign a cookie.
SESSIONLESS_PATHS = ("/api/v1/",)
# Verified session cookies a process remembers: about one per signed-in browser it serves.
COOKIES_KEPT = 1024


class SignedSession(SecureCookieSession):
    """A session that knows when its cookie was signed (None: no cookie came with the request)."""

    signed_at: datetime | None = None


class GuardedSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that:
    - the answer to a refused cross-site request never sets or deletes the cookie: the
      SameSite=Lax cookie was not sent with it, so the session seen there is a fresh empty one,
      and saving it would sign the victim out;
    - an unchanged session's cookie is signed again only once it is SESSION_REFRESH_AFTER old,
      not on every response (signing cost every request ~0.1 ms and a Set-Cookie): the idle
      timeout still slides with use, to within that interval;
    - a cookie is verified once, not on every request: a browser sends the same cookie until it
      is signed again, and its signature (two HMACs, the timestamp, the tagged JSON) cost ~0.1 ms
      a request in place. Only a cookie whose signature holds is remembered, its age is checked
      on every use, and each set of keys has its own (a rotated key verifies afresh)."""

    session_class = SignedSession
    # (the keys, Flask's serializer for them, the cookies verified with them)
    _signing: tuple | None = None

    def _signing_for(self, app) -> tuple:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._signing is None or self._signing[0] != keys:
            serializer = super().get_signing_serializer(app)
            verified = None
            if serializer is not None:
                # The cookie's data and when it was signed; BadSignature is raised, not kept.
                verified = functools.lru_cache(maxsize=COOKIES_KEPT)(
                    functools.partial(serializer.loads, return_timestamp=True)
                )
            self._signing = (keys, serializer, verified)
        return self._signing

    def get_signing_serializer(self, app):
        """Flask's serializer, made once per set of keys rather than twice a request."""
        return self._signing_for(app)[1]

    def open_session(self, app, request):
        if request.path.startswith(SESSIONLESS_PATHS):
            return self.session_class()  # no cookie read or verified; save_session skips it
        _, serializer, verified = self._signing_for(app)
        cookie = request.cookies.get(self.get_cookie_name(app))
        if serializer is None or not cookie:
            return super().open_session(app, request)
        try:
            data, signed_at = verified(cookie)
        except BadSignature:
            return self.session_class()
        # itsdangerous's max_age rule: whole seconds since signing, never in the future.
        age = int(time.time()) - int(signed_at.timestamp())
        if not 0 <= age <= app.permanent_session_lifetime.total_seconds():
            return self.session_class()
        session = self.session_class(copy.deepcopy(data))  # the kept data stays as verified
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app, session) -> bool:
        if session.modified:
            return True
        if not session.permanent or session.signed_at is None:
            return False
        age = datetime.now(UTC) - session.signed_at
        return age >= app.config["SESSION_REFRESH_AFTER"]

    def save_session(self, app, session, response):
        if g.get("refused_cross_site") or request.path.startswith(SESSIONLESS_PATHS):
            return
        super().save_session(app, session, response)


# The session keeps the signed CSRF token beside the raw one it signs: [raw, signed].
SIGNED_CSRF = "csrf_signed"


def reuse_signed_csrf() -> None:
    """Hand Flask-WTF the token signed earlier in this session (it looks in `g` first), so it is
    signed once per session, not on every page that draws a form."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    kept = session.get(SIGNED_CSRF)
    if kept and session.get(field) == kept[0]:
        setattr(g, field, kept[1])


def csrf_token() -> str:
    """Flask-WTF's generate_csrf, for pages and drawers: after its first call a request's signed
    token waits in `g`, and it is taken from there (a page draws it five times; each
    generate_csrf call reads the config and `g` through proxies first)."""
    return g.get("csrf_token") or generate_csrf()


def keep_signed_csrf(response):
    """Remember a token Flask-WTF signed during this request (the session's first form, or the
    first after sign-in cleared the session)."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    signed, raw = g.get(field), session.get(field)
    if signed and raw and session.get(SIGNED_CSRF) != [raw, signed]:
        session[SIGNED_CSRF] = [raw, signed]
    return response


def add_security_headers(response):
    """The headers a view did not set itself, added in one pass (a setdefault each scanned
    every header: ~0.1 ms a request)."""
    present = {name.lower() for name, _ in response.headers.items()}
    missing = [
        (name, value) for name, value in SECURITY_HEADERS.items() if name.lower() not in present
    ]
    # Pages show customer data: keep them out of shared and back-button caches.
    if request.endpoint != "static" and "cache-control" not in present:
        missing.append(("Cache-Control", "no-store"))
    response.headers.extend(missing)
    return response


def init_app(app: Flask) -> None:
    """Cookie flags and the hooks. Call before CSRFProtect so a cross-site post gets 403 first."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config.setdefault("TRUSTED_ORIGINS", ())
    # The signed cookie carries its own timestamp; Flask rejects it once older than this, and it
    # is signed again once SESSION_REFRESH_AFTER old (GuardedSessionInterface), so this is an
    # idle timeout checked on the server.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        minutes=app.config.get("SESSION_IDLE_MINUTES", 480)
    )
    app.config.setdefault(
        "SESSION_REFRESH_AFTER", min(timedelta(minutes=5), app.permanent_session_lifetime / 10)
    )
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    app.session_interface = GuardedSessionInterface()
    # The token is bound to the session, which has its own idle timeout; Flask-WTF's default
    # one-hour limit would refuse forms and HTMX edits in a tab left open over lunch.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.before_request(refuse_cross_site)
    app.before_request(reuse_signed_csrf)
    app.after_request(keep_signed_csrf)
    app.after_request(add_security_headers)
