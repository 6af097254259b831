"""Internal units of the Pyomo model, chosen so coefficients stay within ~1e-4..1e5.

Scenario files use plain SI-style units (USD, tokens, FLOP, users, nodes); the model
divides by these scales on the way in and multiplies on the way out.
"""

USD = 1e9  # model money unit: billion USD
TOKENS = 1e12  # model token unit: trillion tokens
FLOP = 1e24  # model compute unit: 1e24 FLOP
USERS = 1e6  # model demand unit: million concurrent users
NODES = 1e3  # model hardware unit: thousand nodes (1 knode x 1 kW = 1 MW)
PARAMS = 1e9  # model size unit: billion parameters
SECONDS_PER_DAY = 86_400.0
HOURS_PER_YEAR = 8_760.0
