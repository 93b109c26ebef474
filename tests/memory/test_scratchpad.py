import pytest

from memory import Scratchpad


def test_parses_capacity_and_rounds_footprints():
    pad = Scratchpad("1KiB", banks=4, alignment=64)
    assert pad.capacity == 1024 and pad.bank_size == 256
    assert pad.footprint(1) == 64 and pad.footprint(64) == 64 and pad.footprint(65) == 128


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"capacity": 0}, r"size must be positive, not 0"),
        ({"capacity": "0B"}, r"size must be positive, not '0B'"),
        ({"capacity": -1}, r"size must be positive, not -1"),
        ({"capacity": 1024, "banks": 0}, r"Scratchpad.banks must be a positive integer, not 0"),
        ({"capacity": 1024, "alignment": -4}, r"Scratchpad.alignment must be a positive integer, not -4"),
        ({"capacity": 1000, "banks": 3}, r"capacity 1000 does not split into 3 equal banks"),
        ({"capacity": 1024, "banks": 2, "alignment": 384}, r"bank size 512 is not a multiple of the alignment 384"),
    ],
)
def test_rejects_bad_scratchpads(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Scratchpad(**kwargs)


def test_placement_rules():
    pad = Scratchpad(1024, banks=4, alignment=16)
    assert pad.placement_error(0, 256) is None
    assert "crosses a bank boundary" in pad.placement_error(240, 32)
    assert "not a multiple of the alignment 16" in pad.placement_error(8, 8)
    assert "outside the scratchpad" in pad.placement_error(1008, 32)
    assert "does not start on a bank boundary" in pad.placement_error(16, 300)
    assert pad.placement_error(256, 300) is None
    assert pad.lowest_start(32, 240) == 256
    assert pad.lowest_start(300, 1) == 256
    assert pad.lowest_start(300, 600) is None
    assert not Scratchpad(1024, banks=4).fits(1025) and Scratchpad(1024, banks=4).fits(1024)


def test_scratchpad_from_architecture():
    import accel

    from memory import scratchpad_from_architecture

    edge = accel.load_architecture("edge")
    assert scratchpad_from_architecture(edge) == Scratchpad(524288, banks=4, alignment=32)
    assert scratchpad_from_architecture(edge, "scratchpad") == Scratchpad(65536, banks=8, alignment=16)
    with pytest.raises(ValueError, match=r"architecture 'edge' has no level 'l3'; it has 'scratchpad', 'l2'"):
        scratchpad_from_architecture(edge, "l3")
