import pytest

from memory import parse_size


@pytest.mark.parametrize(
    "text, expected",
    [("512KiB", 524288), ("1MiB", 1048576), ("64KB", 64000), ("4096", 4096), (4096, 4096), ("1.5MiB", 1572864),
     ("2 GiB", 2 * 2**30), ("8k", 8192)],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("0KiB", r"size must be positive, not '0KiB'"),
        (0, r"size must be positive, not 0"),
        (-5, r"size must be positive, not -5"),
        ("-5KiB", r"size must look like '512KiB', '1MiB' or '64KB', not '-5KiB'"),
        ("12 parsecs", r"unknown size unit 'parsecs' in '12 parsecs'"),
        ("1.3B", r"size '1.3B' is not a whole number of bytes"),
        ("", r"size must look like"),
    ],
)
def test_parse_size_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        parse_size(text)


def test_parse_size_type():
    with pytest.raises(TypeError, match=r"size must be a string like '512KiB' or an integer, not 1.5"):
        parse_size(1.5)
