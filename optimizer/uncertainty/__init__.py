"""Decisions under uncertainty: sampling the ``uncertainty:`` block (``sampling``), Monte Carlo bands
(``montecarlo``), global sensitivity with SALib (``gsa``), and the two-stage stochastic build-out
(``stochastic``, ``evaluate``)."""
