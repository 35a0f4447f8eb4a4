"""spikeflow: BindsNET 0.3.4's Python API on the spikeflow engine (Rust).

Switch a BindsNET script by changing ``bindsnet`` to ``spikeflow`` in its
imports::

    from spikeflow.network import Network
    from spikeflow.network.nodes import Input, LIFNodes
    from spikeflow.network.topology import Connection
    from spikeflow.network.monitors import Monitor
    from spikeflow.learning import PostPre
    from spikeflow.encoding import poisson

Arrays go in as anything NumPy can read (``__array__``) and come out as NumPy
arrays in BindsNET's shapes. Differences from BindsNET are listed in
``docs/differences-from-bindsnet.md`` and in each class's docstring.

``set_num_threads(n, pin=False)`` sets the engine's thread pool once, before
the first run (``pin=True`` pins worker i to core i: faster on small VMs, but
opt-in, since Python processes pinned to the same cores would collide).
"""

from . import datasets, encoding, environment, evaluation, learning, models, network, pipeline
from ._native import __version__, get_num_threads, set_num_threads
from ._seed import manual_seed
from .network import Network

__all__ = ["Network", "network", "learning", "encoding", "models", "datasets", "evaluation",
           "environment", "pipeline", "manual_seed",
           "set_num_threads", "get_num_threads", "__version__"]
