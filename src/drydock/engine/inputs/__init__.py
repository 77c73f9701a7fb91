"""Input staging: a training channel's data, from the object store into one instance's ``/opt/ml``.

``File`` and ``FastFile`` mode link (or copy) objects under ``/opt/ml/input/data/<channel>/``;
``Pipe`` mode streams them into per-epoch FIFOs ``<channel>_<epoch>``. :func:`stage_channel` is the
one entry point; it takes a ``Channel`` of CreateTrainingJob's ``InputDataConfig`` as the API sent it.
"""

from drydock.engine.inputs.channel import ChannelSpec
from drydock.engine.inputs.location import Location
from drydock.engine.inputs.pipe import PipeWriter
from drydock.engine.inputs.staged_channel import StagedChannel, stage_channel

__all__ = ["ChannelSpec", "Location", "PipeWriter", "StagedChannel", "stage_channel"]
