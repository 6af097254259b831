"""Multi-period build-out: investment periods, candidate sites, hardware vintages and model releases.

``timeline`` holds the named dimensions and activity masks, ``model`` the MILP (one ``define_*`` per
concern), ``solve`` the lexicographic stages with adaptive refinement, ``results`` the tidy tables.
"""
