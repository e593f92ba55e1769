"""Domain errors raised by services; each surface (pages, API) maps them to a response."""

from __future__ import annotations


class CRMError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    code = "error"


class ValidationError(CRMError):
    """Input broke a rule; `fields` maps each bad field to its messages."""

    status = 422
    code = "validation_failed"

    def __init__(self, fields: dict[str, list[str]], message: str = "Some fields are not valid."):
        super().__init__(message)
        self.message = message
        self.fields = {name: list(msgs) for name, msgs in fields.items()}


class DuplicateError(ValidationError):
    """Another live record already has this email, phone or name; `duplicates` are those
    records (id and name). The caller may repeat the request, confirmed, to save it anyway."""

    status = 409
    code = "duplicate"

    def __init__(self, fields: dict[str, list[str]], duplicates: list):
        super().__init__(fields, "Another record already has this. Confirm to save it anyway.")
        self.duplicates = duplicates


class NotFoundError(CRMError):
    status = 404
    code = "not_found"

    def __init__(self, entity: str, entity_id):
        self.entity = entity
        self.entity_id = str(entity_id)
        self.message = f"{entity} with id {entity_id} not found"
        super().__init__(self.message)


class ConflictError(CRMError):
    """The record changed since the caller read it; `current` is the record as it is now."""

    status = 409
    code = "conflict"

    def __init__(self, current, message: str = "Someone else changed this record meanwhile."):
        self.current = current
        self.message = message
        super().__init__(message)


class PermissionDenied(CRMError):
    status = 403
    code = "forbidden"

    def __init__(self, action: str, message: str | None = None):
        self.action = action
        self.message = message or "You are not allowed to do that."
        super().__init__(self.message)


class ConstraintViolationError(CRMError):
    """The database refused a write; `field` names the input it concerns when known."""

    status = 409
    code = "constraint_violation"

    def __init__(self, constraint: str, message: str, field: str | None = None):
        self.constraint = constraint
        self.field = field
        self.message = message
        super().__init__(message)

    @property
    def fields(self) -> dict[str, list[str]]:
        return {self.field: [self.message]} if self.field else {}


class DatabaseError(CRMError):
    """The database failed for a reason that is not the caller's input."""

    status = 503
    code = "database_error"

    def __init__(self, message: str, original: Exception | None = None):
        self.message = message
        self.original = original
        super().__init__(message)


class CommitUnknownError(DatabaseError):
    """The connection broke while the database was committing: the change may or may not have
    been saved, and only reading it back can tell."""

    code = "commit_outcome_unknown"

    def __init__(self, original: Exception | None = None):
        super().__init__("Your change may have been saved: reload to check.", original)
