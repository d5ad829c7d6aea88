-- kz_family_2023_proposal.lua: an example proposal against kz_family_2023,
-- for `afscore report --run A --run B` in the demo and the docs: income
-- deprivation at 120% of the subsistence minimum instead of 100% (more
-- families deprived), and crisis (D) from a score of 0.45 instead of 0.4
-- (fewer families in D). Families move both ways.
local m = import("kz_family_2023")
m.name = "Family social well-being (proposal: income line 120%, D from 0.45)"
m.version = "2024.1-draft"
-- dimension 4 is "income", its one indicator "low_income"
m.dimensions[4].indicators[1].deprived = "mean(income) < 1.2 * subsistence_minimum"
-- bands: A, B, C, D, E
m.bands[4].from = 0.45
return m
