"""Pydantic schema of a scenario file.

Every model forbids unknown keys (``extra="forbid"``) so a misspelt key is an
error, never silently ignored.  Units are part of each field name
(``_usd``, ``_mw``, ``_gb``, ``_kw``, ``_days``...) and repeated in the field
description; ``docs/parameters.md`` lists every field with its unit.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Positive = Field(gt=0)


class Strict(BaseModel):
    """Base for all scenario sections: unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class LossLaw(Strict):
    """Pre-training loss L(N, D) = E + A / N^alpha + B / D^beta (nats/token)."""

    E: float = Field(gt=0, description="irreducible loss [nats/token]")
    A: float = Field(gt=0, description="parameter coefficient [nats/token * params^alpha]")
    B: float = Field(gt=0, description="data coefficient [nats/token * tokens^beta]")
    alpha: float = Field(gt=0, lt=1, description="parameter exponent [-]")
    beta: float = Field(gt=0, lt=1, description="data exponent [-]")


class Capability(Strict):
    """Weights of the capability index K = w_pre K_pre + w_rl K_rl + w_tt K_tt."""

    weight_pretraining: float = Field(ge=0, description="weight of the loss term [-]")
    weight_rl: float = Field(ge=0, description="weight of the RL term [-]")
    weight_test_time: float = Field(ge=0, description="weight of the test-time term [-]")
    reference_params: float = Field(gt=0, description="reference model size for K_pre = 0 [params]")
    reference_tokens: float = Field(gt=0, description="reference model tokens for K_pre = 0 [tokens]")

    @model_validator(mode="after")
    def _some_weight(self) -> Capability:
        if self.weight_pretraining + self.weight_rl + self.weight_test_time <= 0:
            raise ValueError("at least one capability weight must be > 0")
        return self


class Data(Strict):
    """Training-data stock, repetition and synthetic data."""

    unique_tokens: float = Field(gt=0, description="stock of unique human text [tokens]")
    max_epochs: float = Field(ge=1, description="most passes over the unique stock [epochs]")
    repetition_efold: float = Field(gt=0, description="Muennighoff R_D*: e-folding of repeated-data value [epochs]")
    synthetic_usd_per_million_tokens: float = Field(ge=0, description="cost of synthetic data [USD / 1e6 tokens]")
    synthetic_max_tokens: float = Field(ge=0, description="most synthetic tokens that can be generated [tokens]")
    min_tokens_per_param: float = Field(ge=0, description="floor on pre-training tokens per parameter [tokens/param]")


class Pretraining(Strict):
    """The pre-training run (one coherent run at one coherent-training site)."""

    mfu: float = Field(gt=0, le=1, description="model FLOPs utilisation [-]")
    duration_days: float = Field(gt=0, description="wall-clock length of the run [days]")
    min_tokens: float = Field(gt=0, description="fewest pre-training tokens; lower end of the tangent domain [tokens]")


class RL(Strict):
    """ScaleRL post-training: R(C) = R0 + (A - R0) / (1 + (C_mid / C)^B)."""

    midpoint_flop: float = Field(gt=0, description="C_mid: compute reaching half the RL gain [FLOP]")
    exponent: float = Field(gt=0, description="B: ScaleRL scaling exponent [-]")
    max_flop: float = Field(gt=0, description="largest RL compute considered [FLOP]")
    initial_pass_rate: float = Field(ge=0, le=1, description="R0: pass rate before RL [-]")
    asymptote_pass_rate: float = Field(ge=0, le=1, description="A: asymptotic pass rate [-]")
    mfu: float = Field(gt=0, le=1, description="utilisation of RL (generation-heavy) [-]")
    duration_days: float = Field(gt=0, description="wall-clock length of RL [days]")

    @model_validator(mode="after")
    def _asymptote_above_start(self) -> RL:
        if self.asymptote_pass_rate < self.initial_pass_rate:
            raise ValueError("asymptote_pass_rate must be >= initial_pass_rate")
        return self


class Thinking(Strict):
    """Test-time compute: gain = log2(multiplier), capped where thinking fills the context."""

    thinking_multipliers: list[float] = Field(min_length=1, description="menu of thinking multipliers [x]")
    prompt_tokens: float = Field(ge=0, description="prompt length per session [tokens]")
    base_output_tokens: float = Field(gt=0, description="answer length without extra thinking [tokens]")
    context_window_tokens: float = Field(gt=0, description="context window of the served model [tokens]")
    gain_pp_per_doubling: float = Field(ge=0, description="benchmark gain per doubling of thinking [percentage points]")

    @model_validator(mode="after")
    def _multipliers_at_least_one(self) -> Thinking:
        if any(k < 1 for k in self.thinking_multipliers):
            raise ValueError("thinking_multipliers must all be >= 1")
        if len(set(self.thinking_multipliers)) != len(self.thinking_multipliers):
            raise ValueError("thinking_multipliers must be distinct")
        if self.prompt_tokens + self.base_output_tokens > self.context_window_tokens:
            raise ValueError("prompt_tokens + base_output_tokens exceed context_window_tokens")
        return self


class Inference(Strict):
    """Inference demand and serving precision."""

    concurrent_users: float = Field(ge=0, description="peak concurrent sessions [users]")
    tokens_per_second_per_user: float = Field(gt=0, description="output rate per user before thinking [tokens/s]")
    reference_model_params: float = Field(gt=0,
                                          description="model size at which hardware throughput is quoted [params]")
    weight_bytes_per_param: float = Field(gt=0, description="serving precision of weights [bytes/param]")
    kv_bytes_per_element: float = Field(gt=0, description="KV-cache precision [bytes/element]")


class Hardware(Strict):
    """One accelerator node (8-GPU server or NVL72 rack)."""

    gpus_per_node: int = Field(gt=0, description="accelerators per node [GPUs]")
    bf16_tflops_per_gpu: float = Field(gt=0, description="dense BF16 peak [TFLOP/s per GPU]")
    node_memory_gb: float = Field(gt=0, description="memory pool of one node [GB]")
    node_power_kw: float = Field(gt=0, description="IT power of one node [kW]")
    node_capex_usd: float = Field(gt=0, description="purchase price of one node [USD]")
    serving_tokens_per_s: float = Field(gt=0,
                                        description="output throughput on the reference model [tokens/s per node]")


class Site(Strict):
    """A site type: Ferrari (GW campus, coherent training) or Honda (inference site)."""

    power_mw: float = Field(gt=0, description="facility power of one site [MW]")
    pue: float = Field(ge=1, description="power usage effectiveness [-]")
    facility_capex_usd_per_mw: float = Field(ge=0, description="shell, power and cooling [USD/MW]")
    opex_usd_per_mw_year: float = Field(ge=0, description="non-energy operations [USD/(MW*year)]")
    electricity_usd_per_mwh: float = Field(ge=0, description="energy price [USD/MWh]")
    coherent_training: bool = Field(description="has the fabric for one coherent pre-training run [true or false]")
    fabric_capex_fraction: float = Field(ge=0, description="extra node cost for the training fabric [-]")
    max_sites: int = Field(ge=0, description="most sites of this type that can be built [sites]")


class ServedModel(Strict):
    """A dense model on the menu: size and the architecture that sets its KV cache."""

    params: float = Field(gt=0, description="parameters [params]")
    n_layers: int = Field(gt=0, description="transformer layers [-]")
    n_kv_heads: int = Field(gt=0, description="key/value heads (GQA) [-]")
    head_dim: int = Field(gt=0, description="dimension per head [-]")


class Approximation(Strict):
    """Settings of the piecewise-linear (tangent-cut) approximations."""

    tangent_points: int = Field(ge=2, le=400, description="cuts per nonlinear term [-]")
    capability_tolerance: float = Field(gt=0, lt=1e-2, description=(
        "max_capability second stage: K may fall this far (relative) below its optimum while cost is minimised [-]"))
    mip_rel_gap: float = Field(ge=0, lt=1, description="relative MIP gap at which HiGHS stops [-]")


class Scenario(Strict):
    """A complete, validated planning scenario."""

    name: str
    description: str = ""
    objective: Literal["max_capability", "min_cost"] = Field(
        description="what to optimise [max_capability or min_cost]")
    budget_usd: float = Field(gt=0, description="total budget over the horizon [USD]")
    capability_target: float | None = Field(default=None, description="min_cost only: capability floor [-]")
    horizon_years: float = Field(gt=0, description="planning horizon for opex [years]")
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
    sources: dict[str, str] = Field(default_factory=dict, description="parameter path -> citation")
    sensitivity: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="parameter path -> [low, high] for tornado charts")

    @model_validator(mode="after")
    def _objective_needs_target(self) -> Scenario:
        if self.objective == "min_cost" and self.capability_target is None:
            raise ValueError("objective 'min_cost' needs capability_target")
        for path, (low, high) in self.sensitivity.items():
            if low > high:
                raise ValueError(f"sensitivity.{path}: low {low} is above high {high}")
        if not any(site.coherent_training for site in self.sites.values()):
            raise ValueError("no site type has coherent_training: true, so nothing can pre-train")
        return self
