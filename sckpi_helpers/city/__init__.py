"""One city, resolved once: :func:`resolve_city` → :class:`CityContext`.

Stage 5 (city): imports errors, config, catalog, sources and store.
"""

from sckpi_helpers.city.context import (
    AdjustedPopulationChoice,
    CityContext,
    CityError,
    InputFile,
    PeerGroupChoice,
    resolve_city,
)

__all__ = ["AdjustedPopulationChoice", "CityContext", "CityError", "InputFile", "PeerGroupChoice", "resolve_city"]
