"""Benchmark: the monthly engine on 1 million households for 120 months with the full rule set,
and a plain one-Mesa-agent-per-household version of the core dibao dynamics for comparison.

Prints household-months per second, the kernel split, the CPU time, the host's steal during the
run and the core clock (``benchmarks/machine.py``; the CPU time a household-month does not count
steal) and the peak memory (RSS of the process) of the engine run, then runs the per-agent model
(income shock, review on the calendar, gradual exit; the same rules' scalar kernels) on
``--agents`` households and prints the ratio of the two speeds. Targets (issue 4): >= 20 million household-months/s, <= 1.5 GB peak, on 2 cores.

Usage: python benchmarks/bench_engine.py [--locality china_2021] [--households N] [--months M]
                                         [--agents N] [--agent-months M]
"""

from __future__ import annotations

import argparse
import resource
import time

import mesa
import numpy as np
from machine import Steal, core_clock_ghz, machine_line  # benchmarks/machine.py

from simulation.engine import run
from simulation.engine.behaviour import Behaviour
from simulation.engine.rng import normal_pair, uniform
from simulation.policy import load_policy
from simulation.population import generate, load_profile
from simulation.rules.dibao import dibao_eligible, gap_payment
from simulation.rules.income import counted_income


def cpu_seconds() -> float:
    """CPU time (user + system) used by this process so far, all threads (s)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def rss_mib() -> float:
    """Peak resident memory of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class HouseholdAgent(mesa.Agent):
    """One household as a Mesa agent: the core dibao dynamics only (for the speed comparison)."""

    def __init__(self, model: AgentModel, index: int, wages: list[float], other: float,
                 size: int, enrolled: bool) -> None:
        super().__init__(model)
        self.index = index
        self.wages = wages
        self.perm = [0.0] * len(wages)
        self.earned = list(wages)
        self.other = other
        self.size = size
        self.enrolled = enrolled
        self.payment = 0.0
        self.exit_left = 0
        self.exit_base = 0.0

    def step(self) -> None:
        m = self.model
        # income: persistent and transitory shocks (same keyed draws as the engine)
        for k, wage in enumerate(self.wages):
            if wage <= 0.0:
                continue
            z0, z = normal_pair(m.seed, 102, self.index * 8 + k, m.month)
            self.perm[k] = m.rho * self.perm[k] + m.sd_p * z0
            self.earned[k] = wage * np.exp(self.perm[k] + m.sd_t * z - 0.5 * m.sd_t ** 2)
        income = sum(counted_income(e, 0.0, 0.0, m.deduction, True) for e in self.earned)
        pc = (income + self.other) / self.size
        eligible = dibao_eligible(pc, m.standard, True)
        if self.exit_left > 0:  # gradual exit: schedule share of the last benefit
            self.exit_left -= 1
            if self.exit_left == 0:
                self.enrolled = eligible
                self.payment = gap_payment(m.standard, pc, self.size, 0.0)[0] if eligible else 0.0
            return
        if not self.enrolled:
            if eligible and uniform(m.seed, 13, self.index, m.month) < m.take_up:
                self.enrolled = True
                self.payment = gap_payment(m.standard, pc, self.size, 0.0)[0]
            return
        if m.month % 6 == 2:  # review in March and September
            if eligible:
                self.payment = gap_payment(m.standard, pc, self.size, 0.0)[0]
            elif pc < 1.5 * m.standard:
                self.exit_left = 6
                self.exit_base = self.payment
            else:
                self.enrolled = False
                self.payment = 0.0


class AgentModel(mesa.Model):
    """One Mesa agent per household, stepped every month."""

    def __init__(self, pop, n: int, standard: float, behaviour: Behaviour, seed: int = 1) -> None:
        super().__init__(rng=seed)
        self.seed = seed
        self.month = 24240
        self.standard = standard
        self.deduction = 0.0
        self.rho = behaviour.income_rho
        self.sd_p = behaviour.income_sd_persistent
        self.sd_t = behaviour.income_sd_transitory
        self.take_up = behaviour.take_up
        arrays = pop.arrays
        start = arrays.hh_start
        for h in range(n):
            lo, hi = start[h], start[h + 1]
            wages = [float(x) for x in arrays.earned_income[lo:hi]]
            other = float(arrays.other_income[lo:hi].sum())
            HouseholdAgent(self, h, wages, other, int(hi - lo), False)

    def step(self) -> None:
        self.agents.shuffle_do("step")
        self.month += 1


def main() -> None:
    """Run both benchmarks and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--locality", default="china_2021")
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--agents", type=int, default=50_000)
    ap.add_argument("--agent-months", type=int, default=12)
    ap.add_argument("--start", default="2022-01")
    args = ap.parse_args()
    # numba is imported through simulation.engine (which picks the threading layer first)
    import numba

    profile = load_profile(args.locality)
    policy = load_policy(profile.policy)
    # warm-up: compile (or load from cache) the kernels on a small population
    small = generate(profile, 2_000, seed=2)
    run(small, policy, start=args.start, months=2, seed=1)

    t0 = time.perf_counter()
    pop = generate(profile, args.households, seed=1)
    t_gen = time.perf_counter() - t0
    n_persons = len(pop.persons)
    print(f"population: {args.locality}, {args.households:,} households, {n_persons:,} persons "
          f"(generated in {t_gen:.1f} s); RSS so far {rss_mib():.0f} MiB")

    clock = core_clock_ghz()
    steal = Steal.start()
    t0 = time.perf_counter()
    c0 = cpu_seconds()
    result = run(pop, policy, start=args.start, months=args.months, seed=1)
    elapsed = time.perf_counter() - t0
    cpu = cpu_seconds() - c0
    stolen = steal.share()
    hm = args.households * args.months
    timings = result.facts["timings_seconds"]
    kernel = timings["persons"] + timings["programme"] + timings["offices"] + timings["outputs"]
    print(f"engine: {args.households:,} households × {args.months} months = {hm / 1e6:.1f} M "
          f"household-months in {elapsed:.2f} s (set-up included) -> {hm / elapsed / 1e6:.1f} M "
          "household-months/s")
    print(f"  monthly loop {kernel:.2f} s -> {hm / kernel / 1e6:.1f} M household-months/s; "
          f"persons kernel {timings['persons']:.2f} s, offices {timings['offices']:.3f} s, "
          f"programme kernel {timings['programme']:.2f} s, outputs {timings['outputs']:.2f} s")
    threads = numba.get_num_threads()
    print(f"  CPU time {cpu:.2f} s over {elapsed:.2f} s wall: {cpu / elapsed:.2f} cores busy on "
          f"average with {threads} numba threads ({numba.threading_layer()})")
    print(f"  machine during the run (shared): {machine_line(stolen, clock)}")
    print(f"  on CPU time, which steal does not count: {cpu / hm * 1e9:.0f} ns per household-month "
          f"({cpu / hm * clock * 1e9:.0f} cycles at that clock); {threads} vCPUs wholly the engine's "
          f"would run {hm / (cpu / threads) / 1e6:.1f} M household-months/s")
    print(f"  peak RSS of the process: {rss_mib():.0f} MiB (population tables included)")
    s = result.summary()
    print(f"  dibao persons (mean a month): {s.loc['dibao', 'persons_mean']:,.0f}; "
          f"payments over the run: {s['payment_total'].sum() / 1e9:,.2f} bn yuan")
    del result, pop

    # one Mesa agent per household: the core dibao dynamics only
    n_agents = args.agents
    pop_a = generate(profile, n_agents, seed=3)
    params = policy.at(args.start + "-01")
    standard = float(params["dibao.standard.urban"])
    t0 = time.perf_counter()
    model = AgentModel(pop_a, n_agents, standard, Behaviour.defaults())
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.run_for(args.agent_months)
    t_agents = time.perf_counter() - t0
    rate_agents = n_agents * args.agent_months / t_agents
    t0 = time.perf_counter()
    run(pop_a, policy, start=args.start, months=args.agent_months, seed=1)
    t_same = time.perf_counter() - t0
    rate_same = n_agents * args.agent_months / t_same
    print(f"one Mesa agent per household (core dibao dynamics: income shocks, reviews, gradual "
          f"exit): {n_agents:,} households × {args.agent_months} months in {t_agents:.2f} s "
          f"(+ {t_build:.2f} s to build) -> {rate_agents / 1e6:.3f} M household-months/s")
    print(f"engine (full rule set) on the same {n_agents:,} households: {t_same:.2f} s -> "
          f"{rate_same / 1e6:.2f} M household-months/s")
    print(f"ratio engine / per-agent: {rate_same / rate_agents:.0f}x on the same population; "
          f"{(hm / elapsed) / rate_agents:.0f}x at 1 M households")


if __name__ == "__main__":
    main()
