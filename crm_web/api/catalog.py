"""Every resource of the API by its URL segment: the records (api/resources.py), then tasks,
notes, pipeline stages and custom fields (api/more_resources.py)."""

from __future__ import annotations

from crm_web.api.more_resources import MORE_RESOURCES
from crm_web.api.resources import RESOURCES as RECORDS

RESOURCES = {**RECORDS, **{resource.name: resource for resource in MORE_RESOURCES}}
