"""Population layer (人口): locality profiles, the synthetic population generator and its calibration.

See docs/contracts.md §4::

    from simulation.population import load_profile, generate, list_profiles
    profile = load_profile("qijiang")
    pop = generate(profile, n_households=None, seed=1)
"""

from simulation.population.generator import Population, generate
from simulation.population.profiles import Profile, ProfileError, list_profiles, load_profile

__all__ = ["Population", "Profile", "ProfileError", "generate", "list_profiles", "load_profile"]
