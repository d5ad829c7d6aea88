-- A small points methodology in the style of the Kazakhstan order No. 267.
return {
  name = "Family well-being, points",
  version = 2023,
  scoring = "points",
  unit = { table = "families", id = "family_id" },
  members = { table = "persons", unit = "family_id" },
  params = { pm = 46228 },
  dimensions = {
    { id = "income", name = "Income and credit", indicators = {
        { id = "income_level", points = {
            { when = "sum(income) / count() >= 4 * pm", points = 620 },
            { when = "sum(income) / count() >= pm", points = 170 },
            { points = 0 },
        }},
        { id = "has_loan", points = 50, when = "has_loan = 1" },
    }},
    { id = "health", indicators = {
        { id = "no_clinic", points = -20, when = "any(attached_to_clinic = 0)",
          missing = "exclude" },
    }},
  },
  bands = {
    { id = "E", from = -math.huge },
    { id = "D", from = -459 },
    { id = "C", from = -30 },
    { id = "B", from = 730 },
    { id = "A", from = 1800 },
  },
}
