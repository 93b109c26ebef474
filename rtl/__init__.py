from . import numerics

__all__ = ["numerics", "hdl", "bench", "synth"]

_LAZY = ("hdl", "bench", "synth")


def __getattr__(name: str):
    # The RTL subpackages pull in Amaranth, cocotb and the estimator interface:
    # load them on first use so that ``import rtl.numerics`` stays light.
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'rtl' has no attribute {name!r}")
