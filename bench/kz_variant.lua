-- A variant for the benchmark's compare: the shipped methodology with k = 0.4.
local m = import("kz_family_2023")
m.name = m.name .. " (k = 0.4)"
m.k = 0.4
return m
