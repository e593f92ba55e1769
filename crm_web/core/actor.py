"""Who is acting: services take an Actor so the same rules hold for pages, API, CLI and jobs."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "manager", "rep", "viewer")


@dataclass(frozen=True)
class Actor:
    id: str
    role: str
    name: str = ""
    # How the actor reaches the app when not through the pages ("api:<token id>"); the audit
    # trail records it beside the user.
    via: str = ""
    # The user's IANA time zone where the caller already has it (a signed-in page's user row):
    # "today" for the tasks then costs no query. Empty: services read it from the user.
    time_zone: str = ""

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")


# The actor recorded for changes made by the system itself (migrations, CLI set-up).
SYSTEM = Actor(id="system", role="admin", name="System")
