-- global_mpi_2018.lua: the OPHI/UNDP global Multidimensional Poverty Index,
-- 2018 revision: 3 dimensions, 10 indicators, k = 1/3, measured over people.
-- Sources: Alkire & Foster (2011); Alkire, Kanagaratnam & Suppa (2018), "The
-- global MPI 2018", OPHI MPI Methodological Note 46. Column names are those
-- of the generated sample (docs/data.md); a household is a family here.

return {
  name    = "Global MPI (OPHI/UNDP 2018)",
  version = "2018.1",

  -- Survey practice: households carry a sampling weight, and every measure is
  -- reported for people, i.e. each household counts as its number of members.
  unit    = { table = "families", id = "family_id", weight = "sample_weight",
              groups = { "region", "urban" } },
  members = { table = "persons", unit = "family_id" },
  population = "members",

  -- Each dimension weighs 1/3 (the default); weights are written out to show
  -- the published table: 1/6 for health and education, 1/18 for living
  -- standards. Comparisons are exact: six 1/18 deprivations make a person poor.
  dimensions = {
    { id = "health", name = "Health", indicators = {
        -- Members without nutritional information make the rule null when no
        -- measured member is undernourished: the household is then excluded
        -- (OPHI drops people with a missing indicator).
        { id = "nutrition", name = "A person under 70 is undernourished", weight = 1/6,
          deprived = "any(age < 70 and undernourished = 1)" },
        { id = "child_mortality", name = "A child under 18 died in the last 5 years", weight = 1/6,
          deprived = "child_deaths_5y > 0" },
    }},
    { id = "education", name = "Education", indicators = {
        -- OPHI counts the indicator as missing only when data cover fewer than
        -- 2/3 of the members aged 10+; here unknown schooling simply does not
        -- count (not_deprived), the closest rule the language allows simply.
        { id = "years_of_schooling", name = "No member aged 10+ has six years of schooling",
          weight = 1/6, missing = "not_deprived",
          deprived = "none(age >= 10 and schooling_years >= 6)" },
        -- School entry at 6 in Kazakhstan, so class 8 is completed at 14.
        { id = "school_attendance", name = "A child aged 6-14 is not attending school",
          weight = 1/6,
          deprived = "any(age between 6 and 14 and school = 0)" },
    }},
    { id = "living", name = "Living standards", indicators = {
        { id = "cooking_fuel", name = "Cooks with dung, wood, charcoal or coal", weight = 1/18,
          deprived = "cooking_fuel in ('coal', 'wood', 'dung')" },
        { id = "sanitation", name = "Unimproved or shared toilet", weight = 1/18,
          deprived = "toilet_improved = 0 or toilet_shared = 1" },
        { id = "drinking_water", name = "Unimproved water or 30+ minutes round trip", weight = 1/18,
          deprived = "water_improved = 0 or water_minutes >= 30" },
        { id = "electricity", name = "No electricity", weight = 1/18,
          deprived = "electricity = 0" },
        { id = "housing", name = "Floor, roof or walls of natural or rudimentary materials",
          weight = 1/18,
          deprived = "floor_material != 'finished' or roof_material != 'finished' or wall_material != 'finished'" },
        { id = "assets", name = "At most one small asset and no car or truck", weight = 1/18,
          deprived = "has_radio + has_tv + has_phone + has_computer + has_cart + has_bicycle"
                  .. " + has_motorbike + has_fridge <= 1 and cars = 0 and commercial_vehicle = 0" },
    }},
  },

  k = 1/3,

  -- OPHI's categories of the deprivation score: vulnerable 1/5 <= c < 1/3,
  -- poor c >= 1/3, severely poor c >= 1/2.
  bands = {
    { id = "non_poor",   name = "not poor, not vulnerable", from = 0   },
    { id = "vulnerable", name = "vulnerable to poverty",    from = 1/5 },
    { id = "poor",       name = "poor",                     from = 1/3 },
    { id = "severe",     name = "severely poor",            from = 1/2 },
  },

  missing = "exclude",
}
