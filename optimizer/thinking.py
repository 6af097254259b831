"""Test-time compute as a choice of shape: think longer (sequential) or sample in parallel (best-of-n).

With prompt P, answer length O, per-user rate r0 and context window X:

==============  ==================================  ===================================================
                sequential, multiplier k             parallel, n samples (best-of-n)
==============  ==================================  ===================================================
decode streams  1, at r0 k tokens/s                  n, each at r0 tokens/s
KV at the end   min(P + O k, X) tokens               P + n O (the prompt's KV is shared by the samples)
KV on average   min(P + O k / 2, X)                  P + n O / 2
gain            g_seq log2(k_useful)                 g_par log2(n)
==============  ==================================  ===================================================

``k_useful = min(k, (X - P) / O)``: thinking past the window adds nothing. K_tt = gain / (g_seq log2(k_ref)),
so both shapes are scored on one scale, set by ``test_time.reference_multiplier``. The serving cost of
each shape follows from these streams and tokens in ``optimizer.replicas``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from optimizer.schema import Thinking


@dataclass(frozen=True)
class ThinkingOption:
    """One entry of the test-time menu: ``shape`` and its ``factor`` (k for sequential, n for parallel)."""

    shape: Literal["sequential", "parallel"]
    factor: float

    @property
    def label(self) -> str:
        return f"{self.factor:g}x" if self.shape == "sequential" else f"best-of-{self.factor:g}"

    @property
    def streams(self) -> float:
        return 1.0 if self.shape == "sequential" else self.factor

    def stream_rate(self, rate: float) -> float:
        """Tokens/s of each decode stream [tokens/s]."""
        return rate * self.factor if self.shape == "sequential" else rate

    def output_rate(self, rate: float) -> float:
        """Output tokens/s a user's session produces, all streams together [tokens/s]."""
        return self.stream_rate(rate) * self.streams

    def session_tokens(self, tt: Thinking) -> float:
        """Tokens whose KV a session holds at its end."""
        if self.shape == "sequential":
            return min(tt.prompt_tokens + tt.base_output_tokens * self.factor, tt.context_window_tokens)
        return tt.prompt_tokens + self.factor * tt.base_output_tokens

    def average_tokens(self, tt: Thinking) -> float:
        """Tokens whose KV a session holds on average while it decodes (read at every step)."""
        if self.shape == "sequential":
            return min(tt.prompt_tokens + tt.base_output_tokens * self.factor / 2, tt.context_window_tokens)
        return tt.prompt_tokens + self.factor * tt.base_output_tokens / 2

    def gain_pp(self, tt: Thinking) -> float:
        """Benchmark gain over one plain answer [percentage points]."""
        if self.shape == "sequential":
            room = (tt.context_window_tokens - tt.prompt_tokens) / tt.base_output_tokens
            return tt.gain_pp_per_doubling * math.log2(min(self.factor, room))
        return tt.parallel_gain_pp_per_doubling * math.log2(self.factor)

    def score(self, tt: Thinking) -> float:
        """K_tt: the gain on the scale where sequential thinking at k_ref scores 1."""
        scale = tt.gain_pp_per_doubling * math.log2(tt.reference_multiplier)
        return self.gain_pp(tt) / scale if scale > 0 else 0.0


def options(tt: Thinking) -> list[ThinkingOption]:
    """The menu: every sequential multiplier, then every parallel sample count."""
    return ([ThinkingOption("sequential", float(k)) for k in tt.thinking_multipliers]
            + [ThinkingOption("parallel", float(n)) for n in tt.parallel_samples])


def as_option(value: ThinkingOption | float) -> ThinkingOption:
    """A number is a sequential multiplier."""
    return value if isinstance(value, ThinkingOption) else ThinkingOption("sequential", float(value))
