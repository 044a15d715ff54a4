"""symbionet: the open platform for industrial symbiosis.

Register partners and their resource streams, discover synergies, design the network
of exchanges, assess what it saves and present it, as a library, a command line and
a web platform. Each step is a plain function over a park's tables::

    import symbionet
    park = symbionet.load_park("examples/kalundborg")
    park.streams  # a pandas DataFrame
"""

from symbionet.design import design
from symbionet.discover import discover, screen
from symbionet.errors import Problem, SymbionetError
from symbionet.register.catalogue import Catalogue, load_catalogue
from symbionet.register.park import Park, check_park, load_park

__version__ = "0.1.0"

__all__ = [
    "Catalogue",
    "Park",
    "Problem",
    "SymbionetError",
    "__version__",
    "check_park",
    "design",
    "discover",
    "load_catalogue",
    "load_park",
    "screen",
]
