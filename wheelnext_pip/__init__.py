"""wheelnext-pip: WheelNext features for the pip you already have.

Importing this package imports nothing: the start-up line imports it in every Python
process that has ``WHEELNEXT_PIP`` set.
"""

__version__ = "0.1.0"
