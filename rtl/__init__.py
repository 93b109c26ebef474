from . import numerics
