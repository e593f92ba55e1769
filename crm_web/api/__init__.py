"""REST API v1 (`/api/v1`): records as JSON for scripts and integrations, authenticated by
personal tokens only, through the same services (permissions, validation) as the pages."""
