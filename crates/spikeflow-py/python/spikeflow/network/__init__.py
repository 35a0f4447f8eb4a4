"""Networks, nodes, topologies and monitors (``bindsnet.network``)."""

from . import monitors, nodes, topology
from .network import Network

__all__ = ["Network", "nodes", "topology", "monitors"]
