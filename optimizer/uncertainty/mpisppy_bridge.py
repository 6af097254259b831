"""The two-stage build-out through mpi-sppy (the ``[stochastic]`` extra): its extensive form, or progressive
hedging (PH) for many scenarios, in this process (mpi-sppy's stand-in communicator; no MPI needed). Running
PH across ranks under ``mpiexec`` is not wired in (docs/uncertainty.md, Limits).

``scenario_creator`` builds each scenario with ``build_buildout`` (the same code as the HiGHS extensive
form's Blocks) and declares the first-stage decisions x (sites started and nodes bought in the first-stage
periods) as the root node's nonanticipative variables. mpi-sppy solves the fixed tangent-cut
approximation; ``optimizer robust --method ph`` then fixes PH's first stage (x rounded where integer) and
re-solves every scenario under the exact laws, so the reported numbers are exact-law values.
"""

from __future__ import annotations

import contextlib
import io
import sys

from optimizer.errors import OptimizerError
from optimizer.uncertainty.stochastic import Program, first_stage_keys, first_stage_var

SOLVER = "appsi_highs"


@contextlib.contextmanager
def quiet():
    """mpi-sppy prints progress on stdout (even on import): keep stdout for results, send it to stderr's
    bit bucket unless something fails."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield
    if "error" in buffer.getvalue().lower():
        sys.stderr.write(buffer.getvalue())


def require():
    try:
        with quiet():
            import mpisppy  # noqa: F401
    except ImportError:
        raise OptimizerError("(--method, mpisppy) | mpi-sppy is not installed. Fix: pip install "
                             "'compute-allocation-optimizer[stochastic]'") from None


def scenario_creator(name: str, prog: Program):
    """One scenario's build-out with its probability and root node (mpi-sppy's scenario_creator)."""
    from mpisppy.utils import sputils

    from optimizer.buildout.model import build_buildout

    i = prog.names.index(name)
    m = build_buildout(prog.scenarios[i])
    m._mpisppy_probability = prog.probabilities[i]
    keys = first_stage_keys(m, prog.first_periods)
    sputils.attach_root_node(m, 0.0, [first_stage_var(m, key) for key in keys])
    return m


def extensive_form(prog: Program) -> tuple[float, dict[tuple, float]]:
    """mpi-sppy's extensive form in this process: (its objective, the first stage)."""
    require()
    with quiet():
        from mpisppy.opt.ef import ExtensiveForm

        ef = ExtensiveForm({"solver": SOLVER}, prog.names, scenario_creator, scenario_creator_kwargs={"prog": prog})
        result = ef.solve_extensive_form(tee=False)
    if "optimal" not in str(result.solver.termination_condition).lower():
        raise OptimizerError(f"(robust, mpisppy) | mpi-sppy's extensive form ended "
                             f"'{result.solver.termination_condition}'. Fix: use --solver highs")
    first = next(iter(ef.scenarios()))[1]
    return float(ef.get_objective_value()), {key: float(first_stage_var(first, key).value or 0.0)
                                             for key in first_stage_keys(first, prog.first_periods)}


def progressive_hedging(prog: Program, *, rho: float = 1.0, iterations: int = 50,
                        threshold: float = 1e-4) -> tuple[float, dict[tuple, float], int]:
    """PH (Rockafellar and Wets 1991), one process: (its expected objective, x-bar, iterations).

    Each scenario's subproblem gets a proximal term rho/2 |x_s - x-bar|^2 and a price w_s
    on the deviation, until sum_s p_s |x_s - x-bar| <= threshold or ``iterations`` pass."""
    require()
    with quiet():
        from mpisppy.opt.ph import PH

        options = {"solver_name": SOLVER, "PHIterLimit": iterations, "defaultPHrho": rho, "convthresh": threshold,
                   "verbose": False, "display_progress": False, "display_timing": False,
                   "iter0_solver_options": {}, "iterk_solver_options": {},
                   "linearize_proximal_terms": True, "linearize_binary_proximal_terms": True}
        ph = PH(options, prog.names, scenario_creator, scenario_creator_kwargs={"prog": prog})
        _conv, objective, _bound = ph.ph_main()
        averaged = {}
        for _name, m in ph.local_scenarios.items():
            for key in first_stage_keys(m, prog.first_periods):
                averaged[key] = averaged.get(key, 0.0) + m._mpisppy_probability * float(first_stage_var(m, key).value
                                                                                       or 0.0)
    return float(objective), averaged, int(ph._PHIter)

