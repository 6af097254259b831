"""The two-stage build-out through mpi-sppy (the ``[stochastic]`` extra): its extensive form, or progressive
hedging (PH) for many scenarios, in this process or across MPI ranks (``mpiexec -n P optimizer robust ...
--solver ph``).

``scenario_creator`` builds each scenario with ``build_buildout`` (the same code as the HiGHS extensive
form's Blocks) and declares the first-stage decisions x (sites started and nodes bought in the first-stage
periods) as the root node's nonanticipative variables. mpi-sppy solves the fixed tangent-cut
approximation; ``optimizer robust --method ph`` then fixes PH's first stage (x rounded where integer) and
re-solves every scenario under the exact laws, so the reported numbers are exact-law values.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from dataclasses import dataclass

from optimizer.errors import OptimizerError
from optimizer.uncertainty.stochastic import Program, first_stage_keys, first_stage_var

SOLVER = "appsi_highs"


THREADS = {"threads": 1}  # a build-out solves fastest single-threaded (docs/benchmarks.md)


@contextlib.contextmanager
def quiet():
    """mpi-sppy prints progress on stdout (even on import): keep stdout for results, send it to stderr's
    bit bucket unless something fails."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield
    if "error" in buffer.getvalue().lower():
        sys.stderr.write(buffer.getvalue())


@contextlib.contextmanager
def mpisppy_solves():
    """mpi-sppy's solves, quiet, and HiGHS's scheduler restarted after them for this process's own solves."""
    from optimizer.solver import after_foreign_solves

    try:
        with quiet():
            yield
    finally:
        after_foreign_solves()


def no_log_files() -> None:
    """mpi-sppy's cylinder modules open hub.log, xhatclp.log and xhateval.log in the working directory when
    imported (module-level file handlers at level CRITICAL, which stay empty): give them a NullHandler so a
    run leaves no files behind. Call before those modules are imported."""
    import logging

    import mpisppy.log

    def setup_logger(name, out, level=logging.DEBUG, mode="w", fmt=None):
        log = logging.getLogger(name)
        log.setLevel(level)
        log.propagate = False
        log.addHandler(logging.StreamHandler(out) if out in (sys.stdout, sys.stderr) else logging.NullHandler())

    mpisppy.log.setup_logger = setup_logger


def require():
    try:
        with quiet():
            import mpisppy  # noqa: F401
        no_log_files()
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
    with mpisppy_solves():
        from mpisppy.opt.ef import ExtensiveForm

        ef = ExtensiveForm({"solver": SOLVER}, prog.names, scenario_creator, scenario_creator_kwargs={"prog": prog})
        result = ef.solve_extensive_form(solver_options=dict(THREADS), tee=False)
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
    with mpisppy_solves():
        from mpisppy.opt.ph import PH
        from mpisppy.utils import sputils

        options = {"solver_name": SOLVER, "PHIterLimit": iterations, "defaultPHrho": rho, "convthresh": threshold,
                   "verbose": False, "display_progress": False, "display_timing": False,
                   "iter0_solver_options": {}, "iterk_solver_options": {},
                   "solver_options_layers": [sputils.solver_options_layer("default", dict(THREADS))],
                   "linearize_proximal_terms": True, "linearize_binary_proximal_terms": True}
        ph = PH(options, prog.names, scenario_creator, scenario_creator_kwargs={"prog": prog})
        _conv, objective, _bound = ph.ph_main()
        averaged = {}
        for _name, m in ph.local_scenarios.items():
            for key in first_stage_keys(m, prog.first_periods):
                averaged[key] = averaged.get(key, 0.0) + m._mpisppy_probability * float(first_stage_var(m, key).value
                                                                                       or 0.0)
    return float(objective), averaged, int(ph._PHIter)


# ---- PH across MPI ranks: a hub and spokes (mpi-sppy cylinders) ----------------------------------------------

RANK_VARIABLES = (("PMI_RANK", "PMI_SIZE"), ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
                  ("PMIX_RANK", "PMIX_SIZE"))  # MPICH / Intel MPI (PMI), Open MPI, PMIx launchers
PAYLOAD_TAG = 4711
STALLED_ITERATIONS = 10  # PH across ranks stops when neither bound has moved for this many iterations


def launched() -> tuple[int, int]:
    """(rank, size) of this process under ``mpiexec`` (read from the launcher's environment, so that MPI is
    not started before it is needed); (0, 1) otherwise."""
    for rank, size in RANK_VARIABLES:
        if rank in os.environ and size in os.environ:
            return int(os.environ[rank]), int(os.environ[size])
    return 0, 1


def cylinders(size: int) -> tuple[str, ...]:
    """The cylinders for ``size`` ranks, each on size / len(cylinders) of them: the PH hub, a Lagrangian
    spoke (outer bound: no first stage does better) and an x-hat shuffle spoke (inner bound: a feasible
    first stage evaluated in every scenario). With a multiple of 2 but not 3, the Lagrangian spoke is left
    out and the outer bound is wait-and-see (PH's iteration 0)."""
    if size % 3 == 0:
        return ("ph", "lagrangian", "xhatshuffle")
    if size % 2 == 0:
        return ("ph", "xhatshuffle")
    raise OptimizerError(f"(mpiexec -n, {size}) | PH across ranks runs a hub and one or two spokes on equal "
                         "shares of the ranks. Fix: use a multiple of 3 ranks (e.g. mpiexec -n 3), or 2")


def check_ranks(prog: Program, size: int) -> None:
    """Each cylinder spreads the scenarios over its ranks: it needs at least one scenario per rank."""
    per_cylinder = size // len(cylinders(size))
    if per_cylinder > len(prog.names):
        raise OptimizerError(f"(mpiexec -n, {size}) | {per_cylinder} ranks per cylinder for "
                             f"{len(prog.names)} scenarios. Fix: use at most {len(prog.names) * len(cylinders(size))}"
                             " ranks, or more --scenarios")


@dataclass
class WheelResult:
    """PH across ranks: the best first stage found (the inner bound's), both bounds (model units, the fixed
    tangent-cut approximation), PH's iterations and the cylinders that ran."""

    first: dict[tuple, float]
    inner: float
    outer: float
    iterations: int
    cylinders: tuple[str, ...]
    ranks: int


def release_workers(payload) -> None:
    """Rank 0: send every other rank the problem to solve with it (None: nothing, exit)."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    for rank in range(1, comm.Get_size()):
        comm.send(payload, dest=rank, tag=PAYLOAD_TAG)


_SESSION: list[dict] = []  # rank 0's open session: whether the other ranks were released


@contextlib.contextmanager
def root_session():
    """Rank 0 of an ``mpiexec`` run: whatever happens (an error, a resumed run with its first stage saved,
    Ctrl-C), the other ranks are told to stop if PH did not release them."""
    _SESSION.append({"released": False})
    try:
        yield
    finally:
        if not _SESSION.pop()["released"]:
            release_workers(None)


@contextlib.contextmanager
def as_root(size: int, solver: str):
    """``optimizer robust`` on rank 0 of ``size`` ranks (nothing to do when size is 1): only PH runs across
    ranks; the others are released with PH's problem or told to stop (``root_session``)."""
    if size == 1:
        yield
        return
    if solver != "ph":
        raise OptimizerError(f"(mpiexec -n {size}, --solver {solver}) | only progressive hedging runs across MPI "
                             "ranks. Fix: add --solver ph, or run without mpiexec")
    require()
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        raise OptimizerError("(mpiexec, mpi4py) | mpi4py is not installed. Fix: pip install "
                             "'compute-allocation-optimizer[stochastic]'") from None
    with root_session():
        cylinders(size)
        yield


def serve_root(solver: str) -> int:
    """Ranks 1..P-1 of ``mpiexec -n P optimizer robust ... --solver ph``: silent; wait (sleeping, not spinning:
    the cores belong to rank 0's work meanwhile) for rank 0's problem, run PH's cylinders with it, and
    return the exit status. Rank 0 reports every error; a failure here ends the run (mpiexec stops all)."""
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (held for the process's life)
    if solver != "ph":
        return 0
    try:
        from mpi4py import MPI

        no_log_files()
    except ImportError:
        return 0  # rank 0 says what to install
    try:
        serve(MPI.COMM_WORLD)
    except Exception as error:  # noqa: BLE001 (one line on the real stderr, then mpiexec stops every rank)
        sys.__stderr__.write(f"(robust, MPI rank {MPI.COMM_WORLD.Get_rank()}) | {error}\n")
        return 1
    return 0


def serve(comm) -> None:
    """Wait for rank 0's (problem, options) and run the cylinders with it; None: nothing to do."""
    while not comm.iprobe(source=0, tag=PAYLOAD_TAG):
        time.sleep(0.05)
    payload = comm.recv(source=0, tag=PAYLOAD_TAG)
    if payload is not None:
        prog, options = payload
        wheel(prog, **options)


def progressive_hedging_across_ranks(prog: Program, **options) -> WheelResult:
    """Rank 0: release the other ranks with this problem, and run PH's cylinders with them."""
    if not _SESSION:
        raise OptimizerError("(robust, mpiexec) | PH across ranks is started by `optimizer robust`. Fix: run "
                             "`mpiexec -n P optimizer robust SCENARIO --solver ph`, or in Python wrap rank 0's "
                             "call in mpisppy_bridge.as_root(P, 'ph') and call serve_root('ph') on the others")
    check_ranks(prog, launched()[1])
    _SESSION[-1]["released"] = True
    release_workers((prog, options))
    return wheel(prog, **options)


EXIT_CODES = {2: 130, 15: 143}  # SIGINT, SIGTERM: the CLI's exit codes


@contextlib.contextmanager
def signals_end_the_process():
    """Ctrl-C (mpiexec passes it to every rank) or SIGTERM ends each rank at once with 130 or 143, even inside
    a HiGHS solve, and mpiexec then stops the rest: a rank that unwound alone would leave the others waiting
    on it in mpi-sppy's collectives. PH keeps nothing half-way, so nothing is lost that ``--resume`` would
    re-use. Python runs signal handlers only between bytecodes, so the signal's number goes through the
    wakeup file descriptor to a thread that ends the process (HiGHS releases the GIL while it solves)."""
    import signal
    import threading

    read, write = os.pipe()
    os.set_blocking(write, False)

    def end_on_signal():
        number = os.read(read, 1)
        if number and number[0] in EXIT_CODES:
            os._exit(EXIT_CODES[number[0]])
        os.close(read)

    kept = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    kept_fd = signal.set_wakeup_fd(write)
    threading.Thread(target=end_on_signal, daemon=True, name="signals end PH").start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(kept_fd)
        for sig, handler in kept.items():
            signal.signal(sig, handler)
        os.close(write)  # the thread reads end-of-file and returns


def wheel(prog: Program, *, rho: float, iterations: int, gap: float, time_limit: float | None) -> WheelResult:
    """PH's hub with its spokes over MPI.COMM_WORLD (every rank calls this). The hub stops when
    (inner - outer) / |inner| <= ``gap``, when neither bound has moved for ``STALLED_ITERATIONS``, or after
    ``iterations`` PH iterations or ``time_limit`` seconds.
    Rank 0 gets the result (gathered from the cylinder that holds the best inner bound); others get None."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    names = cylinders(comm.Get_size())
    check_ranks(prog, comm.Get_size())
    with mpisppy_solves():
        from mpisppy.spin_the_wheel import WheelSpinner
        from mpisppy.utils import cfg_vanilla, config

        cfg = config.Config()
        cfg.popular_args()
        cfg.two_sided_args()
        cfg.ph_args()
        cfg.lagrangian_args()
        cfg.xhatshuffle_args()
        cfg.solver_name, cfg.default_rho, cfg.max_iterations, cfg.rel_gap = SOLVER, rho, iterations, gap
        cfg.time_limit, cfg.max_solver_threads = time_limit, THREADS["threads"]
        # x_s = x-bar does not end PH: the Lagrangian spoke needs the final prices w to tighten its bound
        cfg.intra_hub_conv_thresh, cfg.max_stalled_iters = -1.0, STALLED_ITERATIONS
        cfg.linearize_proximal_terms = cfg.linearize_binary_proximal_terms = True
        cfg.lagrangian, cfg.xhatshuffle = "lagrangian" in names, True
        beans = (cfg, scenario_creator, None, prog.names)
        kwargs = {"scenario_creator_kwargs": {"prog": prog}}
        spokes = [cfg_vanilla.lagrangian_spoke(*beans, **kwargs)] if cfg.lagrangian else []
        spokes.append(cfg_vanilla.xhatshuffle_spoke(*beans, **kwargs))
        spinner = WheelSpinner(cfg_vanilla.ph_hub(*beans, **kwargs), spokes)
        with signals_end_the_process():
            spinner.spin()
            holds_best = spinner._determine_innerbound_winner()  # collective: every rank asks
    opt = spinner.spcomm.opt
    first = None
    if holds_best and opt.cylinder_rank == 0:
        m = opt.local_scenarios[opt.local_scenario_names[0]]
        first = {key: float(first_stage_var(m, key).value or 0.0) for key in first_stage_keys(m, prog.first_periods)}
    found = comm.gather(first, root=0)
    done = comm.gather(getattr(opt, "_PHIter", None) if spinner.on_hub() else None, root=0)
    if comm.Get_rank() != 0:
        return None
    first = next((f for f in found if f is not None), None)
    if first is None:
        raise OptimizerError("(robust, ph) | PH's spokes found no first stage feasible in every scenario. "
                             "Fix: raise --ph-iterations or --ef-time-limit, or use --solver highs")
    return WheelResult(first, float(spinner.BestInnerBound), float(spinner.BestOuterBound),
                       max(i for i in done if i is not None), names, comm.Get_size())
