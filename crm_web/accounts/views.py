"""Sign-in pages. (Placeholder routes; the accounts area fills them in.)"""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
