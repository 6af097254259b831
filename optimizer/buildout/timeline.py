"""Named dimensions of a build-out and every activity mask, computed once (PyPSA's pattern).

Symbols (years are calendar years, y_0 the first period's):

=================  ==============================================================================
y_p, l_p            first year and length of period p
d(y)                discount factor (1 + r)^-(y - y_0)
W_p                 objective weighting of period p: sum_{k < l_p} d(y_p + k)  (PyPSA)
alive(h, b, p)      a node of h bought in period b still works in p: y_b <= y_p < y_b + life_h
online(s, b, p)     a site started in period b is powered in p: y_b + lead_s <= y_p
release(p)          the release served in p: the latest release period <= p
g_r                 algorithmic multiplier of release r: g^(y_r - y_0)
rv(y, L, Y)         straight-line remaining value at the horizon end Y of an asset of life L
                    in service from y: clip((y + L - Y) / L, 0, 1)
=================  ==============================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.schema import Buildout, Scenario, Thinking
from optimizer.thinking import ThinkingOption, options

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Timeline:
    """Periods, releases, discounting and masks of a scenario with ``periods:``."""

    scenario: Scenario
    periods: tuple[str, ...]
    year: dict[str, int]
    length: dict[str, int]
    releases: tuple[str, ...]
    served_release: dict[str, str]
    discount: dict[str, float] = field(default_factory=dict)  # d(y_p), for cash at the period's start
    weight: dict[str, float] = field(default_factory=dict)  # W_p, for yearly flows

    @property
    def first_year(self) -> int:
        return self.year[self.periods[0]]

    @property
    def end_year(self) -> int:
        """Y: the year after the last period."""
        last = self.periods[-1]
        return self.year[last] + self.length[last]

    def discount_at(self, year: float) -> float:
        rate = self.settings.discount_rate
        return (1 + rate) ** -(year - self.first_year)

    @property
    def settings(self) -> Buildout:
        return self.scenario.buildout or Buildout()

    # -- masks -------------------------------------------------------------------------------------------
    def can_buy(self, h: str, p: str) -> bool:
        start = self.scenario.hardware[h].available_year
        return start is None or self.year[p] >= start

    def alive(self, h: str, b: str, p: str) -> bool:
        life = self.scenario.hardware[h].lifetime_years
        return self.year[b] <= self.year[p] < self.year[b] + life

    def can_start(self, s: str, p: str) -> bool:
        earliest = self.scenario.sites[s].earliest_start_year
        return earliest is None or self.year[p] >= earliest

    def online(self, s: str, b: str, p: str) -> bool:
        site = self.scenario.sites[s]
        powered = self.year[b] + site.lead_time_years
        return powered <= self.year[p] < powered + site.lifetime_years

    # -- dynamics ----------------------------------------------------------------------------------------
    def algorithmic_multiplier(self, r: str) -> float:
        """g_r = g^(y_r - y_0): compute-equivalent gain of release r's algorithms."""
        return self.settings.algorithmic_efficiency_per_year ** (self.year[r] - self.first_year)

    def users(self, p: str) -> float:
        value = self.scenario.periods[p].concurrent_users
        return self.scenario.inference.concurrent_users if value is None else value

    def unique_tokens(self, r: str) -> float:
        value = self.scenario.periods[r].unique_tokens
        return self.scenario.data.unique_tokens if value is None else value

    def synthetic_max_tokens(self, r: str) -> float:
        value = self.scenario.periods[r].synthetic_max_tokens
        return self.scenario.data.synthetic_max_tokens if value is None else value

    def test_time(self, p: str) -> Thinking:
        """The test-time section with period p's menu."""
        period, tt = self.scenario.periods[p], self.scenario.test_time
        update = {}
        if period.thinking_multipliers is not None:
            update["thinking_multipliers"] = period.thinking_multipliers
        if period.parallel_samples is not None:
            update["parallel_samples"] = period.parallel_samples
        return tt.model_copy(update=update) if update else tt

    def menu(self, p: str) -> list[ThinkingOption]:
        return options(self.test_time(p))

    def serving_scenario(self, p: str) -> Scenario:
        """The scenario as period p serves it: its per-user rate and thinking menu."""
        sc, period = self.scenario, self.scenario.periods[p]
        update = {"test_time": self.test_time(p)}
        if period.tokens_per_second_per_user is not None:
            update["inference"] = sc.inference.model_copy(
                update={"tokens_per_second_per_user": period.tokens_per_second_per_user})
        return sc.model_copy(update=update)

    def capability_target(self, p: str) -> float | None:
        value = self.scenario.periods[p].capability_target
        return self.scenario.capability_target if value is None else value

    def remaining_fraction(self, start_year: float, life: float) -> float:
        """rv: share of an asset in service from ``start_year`` with ``life`` left at the horizon's end."""
        if not self.settings.remaining_value:
            return 0.0
        return min(1.0, max(0.0, (start_year + life - self.end_year) / life))


def timeline(sc: Scenario) -> Timeline:
    """The timeline of a scenario with ``periods:`` (validated: contiguous, first period releases)."""
    periods = tuple(sorted(sc.periods, key=int))
    year = {p: int(p) for p in periods}
    length = {p: sc.periods[p].years for p in periods}
    releases = tuple(p for p in periods if sc.periods[p].release)
    served, current = {}, None
    for p in periods:
        current = p if sc.periods[p].release else current
        served[p] = current
    line = Timeline(sc, periods, year, length, releases, served)
    for p in periods:
        line.discount[p] = line.discount_at(year[p])
        line.weight[p] = sum(line.discount_at(year[p] + k) for k in range(length[p]))
    return line
