-- The example of the methodology language page.
return {
  name    = "Family well-being, example",
  version = "2024.1",

  unit    = { table = "families", id = "family_id",
              weight = "sample_weight",
              groups = { "region", "urban" } },
  members = { table = "persons", unit = "family_id" },

  population = "units",

  params = { subsistence_minimum = 43407, region_name = 'Almaty' },
  define = {
    per_capita = "sum(income) / count()",
    adults = "count(age >= 18)",
  },

  dimensions = {
    { id = "income", name = "Income", weight = 1/4, indicators = {
        { id = "low_income", name = "Per-capita income below 70% of subsistence minimum",
          deprived = "per_capita < 0.7 * subsistence_minimum" },
    }},
    { id = "health", name = "Health", weight = 1/4, indicators = {
        { id = "disability", deprived = "any(disability_group > 0)" },
        { id = "no_clinic",  deprived = "any(attached_to_clinic = 0)", missing = "deprived" },
    }},
    { id = "education", name = "Education", weight = 1/2, indicators = {
        { id = "no_school", deprived = "any(age between 7 and 17 and in_school = 0)",
          weight = 0.3 },
        { id = "low_edu", deprived = "all(edu_level < 2)" },
    }},
  },

  k = 1/3,

  bands = {
    { id = "A", name = "well-off",       from = 0    },
    { id = "B", name = "satisfactory",   from = 0.2  },
    { id = "C", name = "unsatisfactory", from = 1/3  },
    { id = "D", name = "crisis",         from = 0.5  },
    { id = "E", name = "emergency",      from = 0.75 },
  },

  missing = "exclude",

  measures = {
    { id = "tsa", name = "Targeted social assistance", eligible = "per_capita < subsistence_minimum",
      notice = { ru = "Вы можете получить АСП", kk = "Сіз АӘК ала аласыз" } },
  },
}
