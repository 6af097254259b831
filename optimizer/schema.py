"""Pydantic schema of a scenario file.

Every model forbids unknown keys (``extra="forbid"``) so a misspelt key is an
error, never silently ignored.  Units are part of each field name
(``_usd``, ``_mw``, ``_gb``, ``_kw``, ``_days``...) and repeated in the field
description; ``docs/parameters.md`` lists every field with its unit.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError


def _number(value: Any) -> Any:
    """Numbers only: true/false and text are not numbers (YAML would otherwise turn true into 1)."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "a boolean (true/false) is not a number")
    if isinstance(value, str):
        raise PydanticCustomError("text_not_number", "text is not a number")
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise PydanticCustomError("finite_number", "infinity and NaN are not allowed, only finite numbers")
    return value


def _whole(value: Any) -> Any:
    """Whole numbers: 20 and 20.0 (a sweep's value) are accepted, 20.5, true and text are not."""
    value = _number(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError("whole_number", "should be a whole number")
        return int(value)
    return value


# every number in a scenario is finite; each field adds its physical range (gt/ge and lt/le)
Real = Annotated[float, BeforeValidator(_number), Field(strict=True, allow_inf_nan=False)]
Whole = Annotated[int, BeforeValidator(_whole), Field(strict=True)]
NAME_PATTERN = r"^[A-Za-z0-9_+\-]+$"
PERIODS_ONLY = {"periods_only": True}  # a field read only by a multi-period build-out (``periods:``)


class Strict(BaseModel):
    """Base for all scenario sections: unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class LossLaw(Strict):
    """Pre-training loss L(N, D) = E + A / N^alpha + B / D^beta (nats/token)."""

    E: Real = Field(gt=0, le=10, description="irreducible loss [nats/token]")
    A: Real = Field(gt=0, le=1e6, description="parameter coefficient [nats/token * params^alpha]")
    B: Real = Field(gt=0, le=1e7, description="data coefficient [nats/token * tokens^beta]")
    alpha: Real = Field(gt=0, lt=1, description="parameter exponent [-]")
    beta: Real = Field(gt=0, lt=1, description="data exponent [-]")


class Capability(Strict):
    """Weights of the capability index K = w_pre K_pre + w_rl K_rl + w_tt K_tt."""

    weight_pretraining: Real = Field(ge=0, le=100, description="weight of the loss term [-]")
    weight_rl: Real = Field(ge=0, le=100, description="weight of the RL term [-]")
    weight_test_time: Real = Field(ge=0, le=100, description="weight of the test-time term [-]")
    reference_params: Real = Field(gt=0, le=1e16, description="reference model size for K_pre = 0 [params]")
    reference_tokens: Real = Field(gt=0, le=1e18, description="reference model tokens for K_pre = 0 [tokens]")

    @model_validator(mode="after")
    def _some_weight(self) -> Capability:
        if self.weight_pretraining + self.weight_rl + self.weight_test_time <= 0:
            raise ValueError("at least one capability weight must be > 0")
        return self


class Data(Strict):
    """Training-data stock, repetition and synthetic data."""

    unique_tokens: Real = Field(gt=0, le=1e17, description="stock of unique human text [tokens]")
    max_epochs: Real = Field(ge=1, le=1000, description="most passes over the unique stock [epochs]")
    repetition_efold: Real = Field(gt=0, le=1000,
                                   description="Muennighoff R_D*: e-folding of repeated-data value [epochs]")
    synthetic_usd_per_million_tokens: Real = Field(ge=0, le=1e6,
                                                   description="cost of synthetic data [USD / 1e6 tokens]")
    synthetic_max_tokens: Real = Field(ge=0, le=1e17,
                                       description="most synthetic tokens that can be generated [tokens]")
    min_tokens_per_param: Real = Field(ge=0, le=1e5,
                                       description="floor on pre-training tokens per parameter [tokens/param]")


class Pretraining(Strict):
    """The pre-training run (one coherent run at one coherent-training site)."""

    mfu: Real = Field(gt=0, le=1, description="model FLOPs utilisation [-]")
    duration_days: Real = Field(gt=0, le=3650, description="wall-clock length of the run [days]")
    min_tokens: Real = Field(gt=0, le=1e17,
                             description="fewest pre-training tokens; lower end of the tangent domain [tokens]")


class RL(Strict):
    """ScaleRL post-training: R(C) = R0 + (A - R0) / (1 + (C_mid(N) / C)^B), C the achieved RL FLOP.

    C_mid(N) = C_mid,ref (N / midpoint_reference_params)^midpoint_params_exponent, with C_mid,ref either
    ``midpoint_gpu_hours`` x ``flop_per_gpu_hour`` x ``reference_mfu`` (GPU-hours of a named chip, as
    ScaleRL reports them, converted to achieved FLOP) or ``midpoint_flop`` given directly."""

    midpoint_gpu_hours: Real | None = Field(default=None, gt=0, le=1e12, description=(
        "C_mid at the reference size, in GPU-hours of `gpu` [GPU-hours]"))
    gpu: str | None = Field(default=None, description="chip the GPU-hours are measured on [name]")
    flop_per_gpu_hour: Real | None = Field(default=None, gt=0, le=1e22, description=(
        "peak dense BF16 FLOP of one GPU-hour of `gpu` (peak FLOP/s x 3600) [FLOP/GPU-hour]"))
    reference_mfu: Real | None = Field(default=None, gt=0, le=1, description=(
        "utilisation of the runs C_mid was measured on; achieved C_mid = GPU-hours x peak x this [-]"))
    midpoint_flop: Real | None = Field(default=None, gt=0, le=1e32, description=(
        "C_mid at the reference size given directly, instead of GPU-hours [FLOP]"))
    midpoint_reference_params: Real = Field(default=8e9, gt=0, le=1e16, description=(
        "model size at which C_mid was measured [params]"))
    midpoint_params_exponent: Real = Field(default=0.0, ge=0, le=3, description=(
        "gamma: C_mid scales as (N / reference)^gamma; 0 = the same for every model size [-]"))
    exponent: Real = Field(gt=0, le=20, description="B: ScaleRL scaling exponent [-]")
    max_flop: Real = Field(gt=0, le=1e32, description="largest RL compute considered [FLOP]")
    initial_pass_rate: Real = Field(ge=0, le=1, description="R0: pass rate before RL [-]")
    asymptote_pass_rate: Real = Field(ge=0, le=1, description="A: asymptotic pass rate [-]")
    mfu: Real = Field(gt=0, le=1, description="utilisation of RL (generation-heavy) [-]")
    duration_days: Real = Field(gt=0, le=3650, description="wall-clock length of RL [days]")

    @model_validator(mode="after")
    def _asymptote_above_start(self) -> RL:
        if self.asymptote_pass_rate < self.initial_pass_rate:
            raise ValueError("asymptote_pass_rate must be >= initial_pass_rate")
        hours = (self.midpoint_gpu_hours, self.flop_per_gpu_hour, self.reference_mfu)
        if self.midpoint_flop is None and None in hours:
            raise ValueError("give C_mid as midpoint_gpu_hours with flop_per_gpu_hour and reference_mfu, "
                             "or as midpoint_flop")
        if self.midpoint_flop is not None and self.midpoint_gpu_hours is not None:
            raise ValueError("give C_mid once: midpoint_gpu_hours or midpoint_flop, not both")
        return self

    def reference_midpoint_flop(self) -> float:
        """C_mid at the reference size [achieved FLOP]."""
        if self.midpoint_flop is not None:
            return self.midpoint_flop
        return self.midpoint_gpu_hours * self.flop_per_gpu_hour * self.reference_mfu

    def size_factor(self, params: float) -> float:
        """s(N) = (N / midpoint_reference_params)^gamma: C_mid(N) = C_mid,ref s(N)."""
        return (params / self.midpoint_reference_params) ** self.midpoint_params_exponent

    def midpoint_at(self, params: float) -> float:
        """C_mid(N) [achieved FLOP]."""
        return self.reference_midpoint_flop() * self.size_factor(params)


class Thinking(Strict):
    """Test-time compute, in two shapes (``optimizer.thinking``): thinking longer (sequential multipliers,
    gain g_seq log2(k), capped where thinking fills the context) or sampling in parallel (best-of-n,
    gain g_par log2(n))."""

    thinking_multipliers: list[Annotated[Real, Field(ge=1, le=1e4)]] = Field(min_length=1, max_length=200,
                                                     description="menu of thinking multipliers [x]")
    prompt_tokens: Real = Field(ge=0, le=1e8, description="prompt length per session [tokens]")
    base_output_tokens: Real = Field(gt=0, le=1e8, description="answer length without extra thinking [tokens]")
    context_window_tokens: Real = Field(gt=0, le=1e9, description="context window of the served model [tokens]")
    reference_multiplier: Real = Field(default=100.0, gt=1, le=1e4, description=(
        "thinking multiplier that scores K_tt = 1; a scenario constant, so adding or removing a menu option "
        "never rescales the index [x]"))
    gain_pp_per_doubling: Real = Field(ge=0, le=100,
                                       description="benchmark gain per doubling of thinking [percentage points]")
    parallel_samples: list[Annotated[Real, Field(ge=2, le=1e4)]] = Field(default_factory=list, max_length=200,
                                                                          description=(
        "menu of best-of-n sample counts: parallel test-time compute [samples]"))
    parallel_gain_pp_per_doubling: Real = Field(default=0.0, ge=0, le=100, description=(
        "benchmark gain per doubling of parallel samples [percentage points]"))

    @model_validator(mode="after")
    def _multipliers_at_least_one(self) -> Thinking:
        if any(k < 1 for k in self.thinking_multipliers):
            raise ValueError("thinking_multipliers must all be >= 1")
        if len(set(self.thinking_multipliers)) != len(self.thinking_multipliers):
            raise ValueError("thinking_multipliers must be distinct")
        if len(set(self.parallel_samples)) != len(self.parallel_samples):
            raise ValueError("parallel_samples must be distinct")
        if self.prompt_tokens + self.base_output_tokens > self.context_window_tokens:
            raise ValueError("prompt_tokens + base_output_tokens exceed context_window_tokens")
        return self


class Inference(Strict):
    """Inference demand, serving precision and the efficiency factors of the replica model
    (``optimizer.replicas``): a replica's users are limited by its HBM, its HBM bandwidth and its compute."""

    concurrent_users: Real = Field(ge=0, le=1e10, description="peak concurrent sessions [users]")
    tokens_per_second_per_user: Real = Field(gt=0, le=1e5,
                                             description="output rate per user before thinking [tokens/s]")
    weight_bytes_per_param: Real = Field(gt=0, le=8, description="serving precision of weights [bytes/param]")
    kv_bytes_per_element: Real = Field(gt=0, le=8, description="KV-cache precision [bytes/element]")
    decode_mfu: Real = Field(gt=0, le=1, description="achieved share of peak FLOP/s in decode [-]")
    bandwidth_efficiency: Real = Field(gt=0, le=1, description="achieved share of peak HBM bandwidth in decode [-]")
    hbm_usable_fraction: Real = Field(gt=0, le=1, description=(
        "share of HBM left for weights and KV cache after activations and runtime buffers [-]"))
    max_nodes_per_replica: Whole = Field(ge=1, le=1e3, description="most nodes one model replica may span [nodes]")
    cross_domain_efficiency: Real = Field(gt=0, le=1, description=(
        "compute and bandwidth factor for a replica spanning more GPUs than one scale-up (NVLink) domain [-]"))
    kv_offload: bool = Field(default=False, description=(
        "KV cache may live in host memory (LPDDR/DRAM) and is then read over the host link [true or false]"))


class Hardware(Strict):
    """One accelerator node (8-GPU server or NVL72 rack)."""

    gpus_per_node: Whole = Field(ge=1, le=1e5, description="accelerators per node [GPUs]")
    bf16_tflops_per_gpu: Real = Field(gt=0, le=1e6, description="dense BF16 peak [TFLOP/s per GPU]")
    fp8_tflops_per_gpu: Real | None = Field(default=None, gt=0, le=1e6, description=(
        "dense FP8 peak; unset: no FP8 tensor cores, FP8 runs at the BF16 rate [TFLOP/s per GPU]"))
    fp4_tflops_per_gpu: Real | None = Field(default=None, gt=0, le=1e6, description=(
        "dense FP4 peak; unset: FP4 runs at the FP8 (or BF16) rate [TFLOP/s per GPU]"))
    hbm_gb_per_gpu: Real = Field(gt=0, le=1e5, description="HBM per GPU [GB]")
    hbm_tb_s_per_gpu: Real = Field(gt=0, le=1e3, description="HBM bandwidth per GPU [TB/s]")
    scale_up_gpus: Whole = Field(ge=1, le=1e5, description="GPUs in one NVLink (scale-up) domain [GPUs]")
    host_memory_gb: Real = Field(default=0.0, ge=0, le=1e7, description=(
        "host / LPDDR memory of one node, used for KV only with inference.kv_offload [GB]"))
    host_tb_s: Real = Field(default=0.0, ge=0, le=1e4, description=(
        "bandwidth from host memory to the GPUs of one node [TB/s]"))
    node_power_kw: Real = Field(gt=0, le=1e5, description="IT power of one node [kW]")
    node_capex_usd: Real = Field(gt=0, le=1e10, description=(
        "purchase price of one node (multi-period: in its available_year) [USD]"))
    available_year: Whole | None = Field(json_schema_extra=PERIODS_ONLY, default=None, ge=1900, le=3000, description=(
        "multi-period only: first year this generation can be bought; unset: from the first period [year]"))
    lifetime_years: Real = Field(json_schema_extra=PERIODS_ONLY, default=5.0, gt=0, le=50, description=(
        "multi-period only: years a node bought in year y serves, until y + life (default 5: the model "
        "default of dynamics-and-roadmap.md section 4, depreciation lives) [years]"))
    price_decline_per_year: Real = Field(json_schema_extra=PERIODS_ONLY, default=0.0, ge=0, lt=1, description=(
        "multi-period only: fall of node_capex_usd per year after available_year; price in year y = "
        "node_capex_usd (1 - decline)^(y - available_year) [1/year]"))

    def price_in(self, year: int) -> float:
        """Price of one node bought in ``year`` [USD]."""
        return self.node_capex_usd * self.price_factor(year)

    def price_factor(self, year: int) -> float:
        """(1 - decline)^(years since available): a node's price in ``year`` over its list price [-]."""
        start = self.available_year if self.available_year is not None else year
        return (1 - self.price_decline_per_year) ** max(0, year - start)


class Site(Strict):
    """A site type: Ferrari (GW campus, coherent training) or Honda (inference site)."""

    power_mw: Real = Field(gt=0, le=1e5, description="facility power of one site [MW]")
    pue: Real = Field(ge=1, le=5, description="power usage effectiveness [-]")
    facility_capex_usd_per_mw: Real = Field(ge=0, le=1e9, description="shell, power and cooling [USD/MW]")
    opex_usd_per_mw_year: Real = Field(ge=0, le=1e8, description="non-energy operations [USD/(MW*year)]")
    electricity_usd_per_mwh: Real = Field(ge=0, le=1e4, description="energy price [USD/MWh]")
    coherent_training: bool = Field(description="has the fabric for one coherent pre-training run [true or false]")
    fabric_capex_fraction: Real = Field(ge=0, le=10, description="extra node cost for the training fabric [-]")
    max_sites: Whole = Field(ge=0, le=1e5, description=(
        "most sites of this type that can exist, existing ones included; 1 for a yes/no candidate site [sites]"))
    region: str = Field(json_schema_extra=PERIODS_ONLY, default="", max_length=100,
                        description="multi-period only: region label [name]")
    lead_time_years: Real = Field(json_schema_extra=PERIODS_ONLY, default=0.0, ge=0, le=20, description=(
        "multi-period only: years from construction start to power; a site started in year y powers "
        "periods starting at or after y + lead time [years]"))
    earliest_start_year: Whole | None = Field(json_schema_extra=PERIODS_ONLY, default=None, ge=1900, le=3000,
                                              description=(
        "multi-period only: first year construction may start; unset: the first period [year]"))
    existing_sites: Whole = Field(json_schema_extra=PERIODS_ONLY, default=0, ge=0, le=1e5, description=(
        "multi-period only: sites already powered at the first period; their capex is sunk [sites]"))
    lifetime_years: Real = Field(json_schema_extra=PERIODS_ONLY, default=14.0, gt=0, le=100, description=(
        "multi-period only: facility life for the remaining value (default 14: Epoch AI 1 GW TCO, "
        "sourced-parameters.md section 6.1) [years]"))


class ServedModel(Strict):
    """A model on the menu: size (total and, for MoE, active), the architecture that sets its KV cache,
    and optionally its own serving precision."""

    params: Real = Field(gt=0, le=1e16, description="parameters, all experts for MoE: what memory holds [params]")
    active_params: Real | None = Field(default=None, gt=0, le=1e16, description=(
        "parameters each token computes with (MoE); unset: dense, = params [params]"))
    loss_params: Real | None = Field(default=None, gt=0, le=1e16, description=(
        "dense-equivalent size for the loss law's A/N^alpha (MoE); unset: = params [params]"))
    n_layers: Whole = Field(ge=1, le=1e4, description="transformer layers [-]")
    n_kv_heads: Whole = Field(ge=1, le=1e4, description="key/value heads (GQA) [-]")
    head_dim: Whole = Field(ge=1, le=1e5, description="dimension per head [-]")
    kv_latent_dim: Whole | None = Field(default=None, ge=1, le=1e6, description=(
        "MLA: elements cached per layer and token (compressed KV + RoPE key), replacing 2 x KV heads x head_dim [-]"))
    weight_bytes_per_param: Real | None = Field(default=None, gt=0, le=8, description=(
        "this model's weight precision; unset: inference.weight_bytes_per_param [bytes/param]"))
    kv_bytes_per_element: Real | None = Field(default=None, gt=0, le=8, description=(
        "this model's KV-cache precision; unset: inference.kv_bytes_per_element [bytes/element]"))

    @model_validator(mode="after")
    def _active_within_total(self) -> ServedModel:
        if self.active_params is not None and self.active_params > self.params:
            raise ValueError("active_params must not exceed params")
        return self

    @property
    def active(self) -> float:
        """Parameters each token computes with [params]."""
        return self.active_params if self.active_params is not None else self.params

    @property
    def loss_size(self) -> float:
        """N in the loss law's A / N^alpha [params]."""
        return self.loss_params if self.loss_params is not None else self.params


class Approximation(Strict):
    """Settings of the piecewise-linear (tangent-cut) approximations."""

    tangent_points: Whole = Field(ge=2, le=400, description="cuts per nonlinear term [-]")
    capability_tolerance: Real = Field(gt=0, lt=0.01, description=(
        "max_capability second stage: K may fall this far (relative) below its optimum while cost is minimised [-]"))
    mip_rel_gap: Real = Field(ge=0, lt=1, description="relative MIP gap at which HiGHS stops [-]")
    tolerance: Real = Field(default=1e-6, gt=0, lt=1e-2, description=(
        "adaptive refinement stops when the model's capability and the exact laws' agree within this, "
        "relative to max(1, abs(K)) [-]"))
    max_refinements: Whole = Field(default=30, ge=0, le=1000, description=(
        "most rounds of cuts added at a solution per solve stage (0: the fixed cuts only) [rounds]"))


class Period(Strict):
    """One investment period of a multi-period build-out, keyed by its first year (``periods.2027``).

    Unset values fall back to the scenario's single-period sections (``inference``, ``data``, ``test_time``)."""

    years: Whole = Field(default=1, ge=1, le=50, description="length of the period [years]")
    release: bool = Field(default=True, description=(
        "a frontier model is pre-trained and post-trained in this period and served until the next [true or false]"))
    concurrent_users: Real | None = Field(default=None, ge=0, le=1e10, description=(
        "peak concurrent sessions in this period; unset: inference.concurrent_users [users]"))
    tokens_per_second_per_user: Real | None = Field(default=None, gt=0, le=1e5, description=(
        "output rate per user before thinking; unset: inference.tokens_per_second_per_user [tokens/s]"))
    thinking_multipliers: list[Annotated[Real, Field(ge=1, le=1e4)]] | None = Field(
        default=None, min_length=1, max_length=200, description=(
            "thinking-multiplier menu in this period; unset: test_time.thinking_multipliers [x]"))
    parallel_samples: list[Annotated[Real, Field(ge=2, le=1e4)]] | None = Field(
        default=None, max_length=200, description="best-of-n menu in this period; unset: test_time's [samples]")
    unique_tokens: Real | None = Field(default=None, gt=0, le=1e17, description=(
        "unique-token stock available to this period's release; unset: data.unique_tokens [tokens]"))
    synthetic_max_tokens: Real | None = Field(default=None, ge=0, le=1e17, description=(
        "most synthetic tokens this period's release may generate; unset: data.synthetic_max_tokens [tokens]"))
    budget_usd: Real | None = Field(default=None, gt=0, le=1e15, description=(
        "capex cash flow allowed in this period (sites started and nodes bought, undiscounted); unset: "
        "no per-period cap [USD]"))
    capability_target: Real | None = Field(default=None, ge=-10, le=10, description=(
        "min_cost only: capability floor in this period; unset: the scenario's capability_target [-]"))


class Buildout(Strict):
    """Settings of a multi-period build-out (``periods:``): discounting and the dynamics between periods."""

    discount_rate: Real = Field(default=0.0, ge=0, le=1, description=(
        "social discount rate r: a cost in year y weighs 1/(1+r)^(y - first year), as in PyPSA's "
        "investment_period_weightings [1/year]"))
    algorithmic_efficiency_per_year: Real = Field(default=1.0, ge=1, le=100, description=(
        "compute-equivalent gain of pre-training algorithms per year, g; a release trained in year y gets "
        "g^(y - first year), split evenly between parameters and data (Epoch AI, Ho et al. 2024: about "
        "2.8x per year) [x/year]"))
    fleet_reuse: bool = Field(default=True, description=(
        "nodes serve whenever no run needs them (serving + each run <= installed); false: pre-training, RL "
        "and serving fleets are dedicated (their sum <= installed) [true or false]"))
    rl_placement: Literal["host_campus", "any_site"] = Field(default="host_campus", description=(
        "where a release's RL runs: on the campus that pre-trained it, or on any site (RL rollouts are "
        "loosely coupled; an assumption either way, no source) [host_campus or any_site]"))
    remaining_value: bool = Field(default=True, description=(
        "credit assets that outlive the horizon with their straight-line remaining value, discounted from "
        "the horizon's end (oemof-solph use_remaining_value) [true or false]"))


DISTRIBUTION_FIELDS = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"),
                       "lognormal": ("p5", "p95"), "normal": ("p5", "p95")}


class Distribution(Strict):
    """An uncertain parameter: uniform(low, high), triangular(low, mode, high), or a normal or lognormal given
    by its 5th and 95th percentiles (a published 90% interval), optionally truncated to ``bounds``."""

    distribution: Literal["uniform", "triangular", "lognormal", "normal"] = Field(description=(
        "shape of the distribution [uniform, triangular, lognormal or normal]"))
    low: Real | None = Field(default=None, description="uniform and triangular: lowest value [unit of the path]")
    mode: Real | None = Field(default=None, description="triangular: most likely value [unit of the path]")
    high: Real | None = Field(default=None, description="uniform and triangular: highest value [unit of the path]")
    p5: Real | None = Field(default=None, description="normal and lognormal: 5th percentile [unit of the path]")
    p95: Real | None = Field(default=None, description="normal and lognormal: 95th percentile [unit of the path]")
    bounds: tuple[Real, Real] | None = Field(default=None, description=(
        "normal and lognormal: truncate to [lowest, highest] (the parameter's valid range) [unit of the path]"))
    source: str = Field(min_length=1, max_length=500, description="citation, or [A] with the reason")

    @model_validator(mode="after")
    def _fields_of_shape(self) -> Distribution:
        needed = DISTRIBUTION_FIELDS[self.distribution]
        for name in ("low", "mode", "high", "p5", "p95"):
            given = getattr(self, name) is not None
            if name in needed and not given:
                raise ValueError(f"a {self.distribution} distribution needs {', '.join(needed)}; {name} is missing")
            if name not in needed and given:
                raise ValueError(f"a {self.distribution} distribution takes {', '.join(needed)}, not {name}")
        if self.bounds is not None and self.distribution in ("uniform", "triangular"):
            raise ValueError(f"bounds truncate a normal or lognormal; a {self.distribution} is bounded by low/high")
        ends = [getattr(self, n) for n in needed]
        if self.distribution == "triangular" and not ends[0] <= ends[1] <= ends[2]:
            raise ValueError("a triangular distribution needs low <= mode <= high")
        if ends[0] >= ends[-1]:
            raise ValueError(f"{needed[0]} ({ends[0]:g}) must be below {needed[-1]} ({ends[-1]:g})")
        if self.distribution == "lognormal" and ends[0] <= 0:
            raise ValueError("a lognormal needs p5 > 0")
        if self.bounds is not None and not self.bounds[0] < self.bounds[1]:
            raise ValueError("bounds must be [lowest, highest] with lowest < highest")
        if self.bounds is not None and not (self.bounds[0] <= ends[0] and ends[-1] <= self.bounds[1]):
            raise ValueError("bounds must contain p5 and p95")
        return self


class Regime(Strict):
    """One regime of a group: its probability and the values it gives its parameters together."""

    probability: Real = Field(gt=0, le=1, description="probability of this regime [-]")
    values: dict[str, Real] = Field(default_factory=dict, description=(
        "parameter path -> value in this regime; paths left out keep the scenario's value [unit of the path]"))


class RegimeGroup(Strict):
    """Discrete regimes that move several parameters together (e.g. a pre-training plateau)."""

    source: str = Field(min_length=1, max_length=500, description="citation, or [A] with the reason")
    options: dict[str, Regime] = Field(min_length=2, description="regime name -> regime")

    @model_validator(mode="after")
    def _probabilities_sum_to_one(self) -> RegimeGroup:
        total = sum(option.probability for option in self.options.values())
        if abs(total - 1) > 1e-9:
            raise ValueError(f"the regimes' probabilities sum to {total:g}; they must sum to 1")
        return self


class Correlation(Strict):
    """Rank-preserving correlation of two uncertain parameters (a Gaussian copula)."""

    paths: tuple[str, str] = Field(description="two paths of uncertainty.parameters [-]")
    rho: Real = Field(gt=-1, lt=1, description="correlation of their normal scores [-]")
    source: str = Field(min_length=1, max_length=500, description="citation, or [A] with the reason")


class Uncertainty(Strict):
    """Uncertain inputs: continuous distributions, correlated pairs and discrete regime groups."""

    parameters: dict[str, Distribution] = Field(default_factory=dict, description="parameter path -> distribution")
    correlations: list[Correlation] = Field(default_factory=list, description="correlated parameter pairs")
    regimes: dict[str, RegimeGroup] = Field(default_factory=dict, description="group name -> regimes")

    @model_validator(mode="after")
    def _each_path_once(self) -> Uncertainty:
        if not self.parameters and not self.regimes:
            raise ValueError("uncertainty: lists no parameters and no regimes")
        owner: dict[str, str] = {path: "parameters" for path in self.parameters}
        for group, spec in self.regimes.items():
            paths = {path for option in spec.options.values() for path in option.values}
            if not paths:
                raise ValueError(f"regimes.{group}: no regime sets any value")
            for path in paths:
                if path in owner:
                    raise ValueError(f"{path} is uncertain twice (in {owner[path]} and regimes.{group}); "
                                     "give each path one distribution or one regime group")
                owner[path] = f"regimes.{group}"
        seen = set()
        for pair in self.correlations:
            for path in pair.paths:
                if path not in self.parameters:
                    raise ValueError(f"correlations: {path} is not in uncertainty.parameters")
            key = frozenset(pair.paths)
            if len(key) < 2 or key in seen:
                raise ValueError(f"correlations: the pair {list(pair.paths)} is repeated or names one path twice")
            seen.add(key)
        return self


class Scenario(Strict):
    """A complete, validated planning scenario."""

    name: str
    description: str = ""
    objective: Literal["max_capability", "min_cost", "max_final_capability"] = Field(
        description=("what to optimise [max_capability, min_cost, or with periods also max_final_capability]"))
    budget_usd: Real = Field(gt=0, le=1e15, description=(
        "total budget over the horizon; with periods, of the discounted total cost [USD]"))
    capability_target: Real | None = Field(default=None, ge=-10, le=10,
                                           description="min_cost only: capability floor [-]")
    horizon_years: Real = Field(gt=0, le=100, description="planning horizon for opex [years]")
    loss_law: LossLaw
    capability: Capability
    data: Data
    pretraining: Pretraining
    rl: RL
    test_time: Thinking
    inference: Inference
    hardware: dict[str, Hardware] = Field(min_length=1)
    sites: dict[str, Site] = Field(min_length=1)
    models: dict[str, ServedModel] = Field(min_length=1)
    approximation: Approximation
    periods: dict[str, Period] | None = Field(default=None, description=(
        "multi-period build-out: investment periods keyed by their first year; unset: one period [-]"))
    buildout: Buildout | None = Field(default=None, description="multi-period settings (needs periods) [-]")
    sources: dict[str, str] = Field(default_factory=dict, description="parameter path -> citation")
    _provenance: dict = PrivateAttr(default_factory=dict)  # what load_scenario read and applied
    sensitivity: dict[str, tuple[Real, Real]] = Field(
        default_factory=dict, description="parameter path -> [low, high] for tornado charts")
    uncertainty: Uncertainty | None = Field(default=None, description=(
        "distributions and regimes of uncertain parameters, for montecarlo, sensitivity and robust [-]"))

    @field_validator("periods", mode="before")
    @classmethod
    def _year_keys(cls, periods: Any) -> Any:
        """YAML reads ``2026:`` as a number: period keys become text, and must be years."""
        if not isinstance(periods, dict):
            return periods
        keys = {}
        for key in periods:
            text = str(key)
            if isinstance(key, bool) or not text.isdigit() or not 1900 <= int(text) <= 3000:
                raise PydanticCustomError("period_year", "period key '{key}' is not a year (1900-3000)",
                                          {"key": text})
            keys[text] = periods[key]
        return keys

    @field_validator("hardware", "sites", "models")
    @classmethod
    def _plain_names(cls, entries: dict) -> dict:
        """Names become parts of dotted parameter paths (``models.NAME.params``), so no '.' or spaces."""
        import re

        for name in entries:
            if not re.match(NAME_PATTERN, name):
                raise PydanticCustomError(
                    "bad_name", "name '{name}' may hold only letters, digits, '_', '-' and '+' (it becomes part of "
                    "dotted paths such as models.NAME.params)", {"name": name})
        return entries

    @model_validator(mode="after")
    def _objective_needs_target(self) -> Scenario:
        if self.objective == "min_cost" and self.capability_target is None and self.periods is None:
            raise ValueError("objective 'min_cost' needs capability_target")
        for path, (low, high) in self.sensitivity.items():
            if low > high:
                raise ValueError(f"sensitivity.{path}: low {low} is above high {high}")
        if not any(site.coherent_training for site in self.sites.values()):
            raise ValueError("no site type has coherent_training: true, so nothing can pre-train")
        if self.periods is None:
            self._single_period_only()
        else:
            self._periods_consistent()
        return self

    def _single_period_only(self) -> None:
        """Multi-period keys without ``periods:`` would be silently ignored: reject them."""
        if self.objective == "max_final_capability":
            raise ValueError("objective 'max_final_capability' needs periods:")
        if self.buildout is not None:
            raise ValueError("buildout: needs periods: (the investment periods it applies to)")
        defaults = {"available_year": None, "lifetime_years": 5.0, "price_decline_per_year": 0.0}
        for name, hw in self.hardware.items():
            for key, default in defaults.items():
                if getattr(hw, key) != default:
                    raise ValueError(f"hardware.{name}.{key} is used only with periods:; remove it or add periods:")
        defaults = {"region": "", "lead_time_years": 0.0, "earliest_start_year": None, "existing_sites": 0,
                    "lifetime_years": 14.0}
        for name, site in self.sites.items():
            for key, default in defaults.items():
                if getattr(site, key) != default:
                    raise ValueError(f"sites.{name}.{key} is used only with periods:; remove it or add periods:")

    def _periods_consistent(self) -> None:
        """Periods follow one another without gaps, the first releases a model, runs fit in their period."""
        if not self.periods:
            raise ValueError("periods: is empty; give at least one period, e.g. periods: {2026: {years: 1}}")
        years = sorted(int(y) for y in self.periods)
        for year, after in zip(years, years[1:]):
            if year + self.periods[str(year)].years != after:
                raise ValueError(f"periods {year} ({self.periods[str(year)].years} years) and {after} leave a gap or "
                                 f"overlap; each period must start where the one before ends")
        if not self.periods[str(years[0])].release:
            raise ValueError(f"periods.{years[0]}.release is false, but the first period needs a model to serve")
        total = sum(p.years for p in self.periods.values())
        if abs(self.horizon_years - total) > 1e-9:
            raise ValueError(f"horizon_years is {self.horizon_years:g} but the periods last {total} years; "
                             f"set horizon_years: {total}")
        for year, period in self.periods.items():
            days = period.years * 365.25
            if period.release and self.pretraining.duration_days + self.rl.duration_days > days:
                raise ValueError(f"periods.{year}: pre-training ({self.pretraining.duration_days:g} days) and RL "
                                 f"({self.rl.duration_days:g} days) do not fit in its {period.years} year(s)")
            if self.objective == "min_cost" and period.capability_target is None and self.capability_target is None:
                raise ValueError(f"objective 'min_cost' needs capability_target or periods.{year}.capability_target")
        for name, site in self.sites.items():
            if site.existing_sites > site.max_sites:
                raise ValueError(f"sites.{name}: existing_sites {site.existing_sites} exceeds max_sites "
                                 f"{site.max_sites}")
