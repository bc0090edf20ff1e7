-- wrk script for conditional GETs: report.lua's figures, and each response counted as 304 or not.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

function response(status, headers, body)
  if status == 304 then
    not_modified = not_modified + 1
  else
    other_status = other_status + 1
  end
end
