"""A render pauses Python's cyclic garbage collector (services.documents.invoices.collector_paused) and puts it back
as it was: on after a render (also one that raised, and nested pauses), still off when it was off before."""
from __future__ import annotations

import gc

import pytest

from services.documents.invoices import collector_paused


@pytest.fixture
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_off_inside_and_on_again_after_nested_pauses(collector_on):
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer render is still running
    assert gc.isenabled()


def test_a_render_that_raises_turns_the_collector_back_on(collector_on):
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("render failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector_on):
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
