"""Serving from first principles: how many users one replica of a model carries on one kind of hardware.

For hardware h, menu model m and thinking option k, with

====================  ==============================================================================
W                     weight bytes: N_total x bytes/param (all experts of an MoE)
kv                    KV bytes per token: layers x (2 x KV heads x head_dim, or MLA's latent) x bytes
S, S_avg              a session's tokens at its end, min(prompt + output x k, context), and on average
                      while it decodes, min(prompt + output x k / 2, context); best-of-n: P + n O and
                      P + n O / 2 (the prompt's KV is shared; ``optimizer.thinking``)
r, s                  tokens/s of each decode stream (tokens_per_second_per_user x k; best-of-n: the
                      plain rate) and streams per session (1; best-of-n: n)
n                     nodes per replica: the fewest (at most inference.max_nodes_per_replica) whose
                      usable HBM holds W plus one session's KV
HBM, BW, F            the replica's usable HBM, its HBM bandwidth x bandwidth_efficiency, and its peak
                      FLOP/s at the weights' precision x decode_mfu; BW and F x cross_domain_efficiency
                      when the replica spans more GPUs than one NVLink domain
====================  ==============================================================================

the users per replica are the smallest of three limits:

* memory:    b <= (HBM - W) / (kv S)                   (every session's KV resident at once)
* bandwidth: (W + b kv S_avg) / BW <= 1 / r            (one decode step per 1/r s reads the weights once
                                                        and every session's KV)
* compute:   b x s x 2 N_active x r <= F               (2 FLOPs per active parameter and token)

With ``inference.kv_offload`` the KV lives in host memory: memory adds the replica's host memory and
the bandwidth limit becomes W / BW + b kv S_avg / BW_host <= 1 / r. Users per node = users per
replica / n: a constant per (hardware, model, option), so the MILP stays linear and its size additive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from optimizer import laws
from optimizer.schema import Hardware, Scenario, ServedModel
from optimizer.thinking import ThinkingOption, as_option, options

LIMITS = ("memory", "bandwidth", "compute")


@dataclass(frozen=True)
class Replica:
    """One (hardware, model, thinking) serving option; users and tokens/s per node are what the MILP uses."""

    hardware: str
    model: str
    thinking: str  # the option's label, '10x' or 'best-of-8'
    shape: str  # sequential or parallel
    factor: float  # thinking multiplier k, or samples n
    nodes_per_replica: int  # 0: the model does not fit max_nodes_per_replica nodes
    users_memory: float
    users_bandwidth: float
    users_compute: float
    tokens_per_s_per_user: float

    @property
    def users_per_replica(self) -> float:
        if self.nodes_per_replica == 0:
            return 0.0
        return max(0.0, min(self.users_memory, self.users_bandwidth, self.users_compute))

    @property
    def users_per_node(self) -> float:
        return self.users_per_replica / self.nodes_per_replica if self.nodes_per_replica else 0.0

    @property
    def tokens_per_s_per_node(self) -> float:
        return self.users_per_node * self.tokens_per_s_per_user

    @property
    def binding(self) -> str:
        """The limit that sets the users per replica ('does not fit' when no replica holds the weights)."""
        if self.nodes_per_replica == 0:
            return "does not fit"
        values = dict(zip(LIMITS, (self.users_memory, self.users_bandwidth, self.users_compute)))
        return min(values, key=values.get)

    def row(self) -> dict:
        return {**asdict(self), "users_per_replica": self.users_per_replica, "users_per_node": self.users_per_node,
                "tokens_per_s_per_node": self.tokens_per_s_per_node, "binding": self.binding}


def weight_bytes(sc: Scenario, model: ServedModel) -> float:
    return model.params * (model.weight_bytes_per_param or sc.inference.weight_bytes_per_param)


def kv_bytes_per_token(sc: Scenario, model: ServedModel) -> float:
    """layers x (2 x KV heads x head_dim, or the MLA latent) x bytes per element."""
    per_element = model.kv_bytes_per_element or sc.inference.kv_bytes_per_element
    if model.kv_latent_dim is not None:
        return model.n_layers * model.kv_latent_dim * per_element
    return laws.kv_bytes_per_token(model, per_element)


def peak_flops_per_gpu(hw: Hardware, bytes_per_param: float) -> float:
    """Peak FLOP/s at the weights' precision: FP4 at <= 0.5 bytes, FP8 at <= 1 byte, else BF16 (falling back
    to the next wider format the chip has) [FLOP/s]."""
    tflops = hw.bf16_tflops_per_gpu
    if bytes_per_param <= 1 and hw.fp8_tflops_per_gpu:
        tflops = hw.fp8_tflops_per_gpu
    if bytes_per_param <= 0.5 and hw.fp4_tflops_per_gpu:
        tflops = hw.fp4_tflops_per_gpu
    return tflops * 1e12


def replica(sc: Scenario, hw_name: str, model_name: str, thinking: ThinkingOption | float) -> Replica:
    """The replica constants of one serving option (see the module docstring); ``thinking`` is a menu option
    or a sequential multiplier."""
    option = as_option(thinking)
    inf, hw, model = sc.inference, sc.hardware[hw_name], sc.models[model_name]
    weights = weight_bytes(sc, model)
    kv = kv_bytes_per_token(sc, model)
    tt = sc.test_time
    session, average = option.session_tokens(tt), option.average_tokens(tt)
    rate = option.stream_rate(inf.tokens_per_second_per_user)  # each decode stream's tokens/s
    named = (hw_name, model_name, option.label, option.shape, option.factor)
    user_rate = option.output_rate(inf.tokens_per_second_per_user)
    hbm_node = hw.gpus_per_node * hw.hbm_gb_per_gpu * 1e9 * inf.hbm_usable_fraction
    host_node = hw.host_memory_gb * 1e9 if inf.kv_offload else 0.0
    nodes = next((n for n in range(1, inf.max_nodes_per_replica + 1)
                  if n * hbm_node >= weights + (0.0 if inf.kv_offload else kv * session)
                  and (not inf.kv_offload or n * (hbm_node + host_node) >= weights + kv * session)), 0)
    if nodes == 0:
        return Replica(*named, 0, 0.0, 0.0, 0.0, user_rate)
    spread = inf.cross_domain_efficiency if nodes * hw.gpus_per_node > hw.scale_up_gpus else 1.0
    bytes_per_param = model.weight_bytes_per_param or inf.weight_bytes_per_param
    flops = nodes * hw.gpus_per_node * peak_flops_per_gpu(hw, bytes_per_param) * inf.decode_mfu * spread
    bandwidth = nodes * hw.gpus_per_node * hw.hbm_tb_s_per_gpu * 1e12 * inf.bandwidth_efficiency * spread
    if inf.kv_offload:
        memory = (nodes * (hbm_node + host_node) - weights) / (kv * session)
        host_bandwidth = nodes * hw.host_tb_s * 1e12 * spread
        step_left = 1 / rate - weights / bandwidth  # seconds of a decode step left after reading the weights
        users_bandwidth = step_left * host_bandwidth / (kv * average) if host_bandwidth > 0 else 0.0
    else:
        memory = (nodes * hbm_node - weights) / (kv * session)
        users_bandwidth = (bandwidth / rate - weights) / (kv * average)
    compute = flops / (2 * model.active * option.streams * rate)
    return Replica(*named, nodes, memory, max(0.0, users_bandwidth), compute, user_rate)


def replicas(sc: Scenario) -> list[Replica]:
    """Every (hardware, model, thinking) option of the scenario, in menu order."""
    return [replica(sc, h, m, option) for h in sc.hardware for m in sc.models for option in options(sc.test_time)]


def replica_table(sc: Scenario):
    """One row per serving option: nodes and users per replica, each limit, the binding one, per-node figures."""
    import pandas as pd

    return pd.DataFrame([r.row() for r in replicas(sc)])

