-- The survey design of kz_design.lua without PSUs: every family is its own
-- PSU, and afscore keeps per-stratum moments instead of per-PSU totals.
local m = import("kz_design")
m.name = m.name .. ", families as PSUs"
m.unit.psu = nil
return m
