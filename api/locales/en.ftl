# ekino's words in English. Every key exists in kk.ftl, ru.ftl and en.ftl (a test checks).
site-name = ekino
site-tagline = Kazakhstan's cinema box office, as the cinemas report it
nav-box-office = Box office
lang-switch = Language
skip-to-content = Skip to content

chart-title = Daily box office
chart-heading = Box office for { $date }
chart-date = Date
chart-show = Show
chart-status = Status of the day
chart-total-gross = Total gross
chart-total-admissions = Total admissions
chart-empty = No sales were reported for this day.
chart-top = The day's top films by gross
col-rank = Rank
col-rank-change = Change
col-new = New
col-title = Title
col-gross = Gross
col-share = Share
col-admissions = Admissions
col-cumulative-gross = Cumulative gross
col-cumulative-admissions = Cumulative admissions
col-screens = Screens
col-shows = Shows
col-status = Status
new-entry = new
status-provisional = provisional
status-final = final
status-corrected = corrected

error-title = Something is wrong with the request
error-bad-field = { $field }: { $reason }
error-unavailable = The data store did not answer. Please try again shortly.
error-not-found = There is no such page.
