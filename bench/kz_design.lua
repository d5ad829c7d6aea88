-- For the benchmark's cost of inference: the shipped methodology read as a
-- survey, with sampling weights, strata (regions) and PSUs (settlement types
-- within a region), so that score adds standard errors (docs/inference.md).
local m = import("kz_family_2023")
m.name = m.name .. " (survey design)"
m.unit.weight = "sample_weight"
m.unit.strata = "region"
m.unit.psu = "settlement"
return m
