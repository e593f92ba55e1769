"""Hostile input never gets a 5xx (tests/hostile.py): the other half of the app's routes."""

import pytest

from tests.hostile import ROUTES, make_world, probe_route, route_id


@pytest.fixture(scope="module")
def world(app):
    yield from make_world(app)


@pytest.mark.parametrize(("endpoint", "rule", "methods"), ROUTES[1::2], ids=route_id)
def test_hostile_input_never_gets_a_server_error(world, endpoint, rule, methods):
    probe_route(world, endpoint, rule, methods)
