"""Ready-made networks (``bindsnet.models``): not yet available in Python.

Compose them from ``spikeflow.network`` objects as BindsNET's sources do;
``DiehlAndCook2015`` and friends come with a later step.
"""

__all__ = []
