"""The core every other layer builds on; it imports nothing above it.

* :mod:`.session`: ``start``/``stop``/``reset``, the :class:`~.session.Session`, the extension registry;
* :mod:`.server`: the embedded AWS served over HTTP on loopback, with a mount seam;
* :mod:`.guard`: the network guard (loopback only);
* :mod:`.errors`: :class:`~.errors.LabError` (problem + fix) and :func:`~.errors.explain`;
* :mod:`.tags`: the course tag; :mod:`.urls`: stage URLs per backend;
* :mod:`.patching`: the one way the package changes moto;
* :mod:`.clock`: AWS's fixed delays on a faster local clock.
"""
